"""Two tables of the report for funding decisions: the unmet demand, by department and theme,
and the offers of the catalogue never suggested over the period.

Unmet demand counts the first page of each search (the `search` event): found within the
person's reach, found only by widening (further, the whole department, the region), or nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.report import Builder, Section

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
    return b.section(s("report_unmet"), header, rows, "unmet-demand", axis)


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
