"""Two tables of the report for funding decisions: the unmet demand, by department and theme,
and the offers of the catalogue never suggested over the period.

Unmet demand counts the first page of each search (the `search` event): found within the
person's reach, found only by widening (further, the whole department, the region), or nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.report import Builder, Grid, Section

NEAR, NOTHING = "near", "nothing"


def unmet_demand(b: Builder, axis: str) -> Section:
    s = b.m.staff
    found: dict[tuple[str | None, str | None], Counter[str]] = {}
    for key, n in b.counts.items():
        if key[1] == "search":
            found.setdefault((key[4], key[6]), Counter())[key[3] or NOTHING] += n
    rows = []
    for (department, theme), by in sorted(
        found.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")
    ):
        searches = sum(by.values())
        nothing = by[NOTHING]
        widened = searches - nothing - by[NEAR]
        label = f"{b.name(4, department)} · {b.name(6, theme)}"
        rows.append((label, [searches, widened + nothing, widened, nothing]))
    header = (
        "",
        s("report_unmet_searches"),
        s("report_unmet_out_of_reach"),
        s("report_unmet_widened"),
        s("report_unmet_nothing"),
    )
    section = b.section(s("report_unmet"), header, rows, "unmet-demand", axis)
    section.grid = _grid(b, found)
    return section


def _grid(b: Builder, found: dict[tuple[str | None, str | None], Counter[str]]) -> Grid:
    """Departments × themes: searches with nothing within reach."""
    from bot.report import Grid

    departments = sorted({d for d, _ in found}, key=lambda d: d or "")
    themes = sorted({t for _, t in found}, key=lambda t: t or "")
    counts = tuple(
        tuple(sum(n for v, n in found.get((d, t), Counter()).items() if v != NEAR) for t in themes)
        for d in departments
    )
    s = b.m.staff
    return Grid(
        tuple(b.name(4, d) for d in departments),
        tuple(b.name(6, t) for t in themes),
        counts,
        s("report_dim_department"),
        s("report_unmet_grid_axis"),
    )


def never_suggested(b: Builder) -> Section:
    from bot.report import Section

    s = b.m.staff
    offers = b.labels.offers
    shown = {key[7] for key in b.counts if key[1] == "suggested" and key[7]}
    never = sorted(
        (b.name(4, department), title, offer_id)
        for offer_id, (title, department) in offers.items()
        if offer_id not in shown
    )
    rows: list[tuple[str, ...]] = [(f"{title} ({offer_id})", dep) for dep, title, offer_id in never]
    title = s("report_never", n=len(never), total=len(offers))
    return Section(title, ("", s("report_dim_department")), rows, [], "never-suggested")
