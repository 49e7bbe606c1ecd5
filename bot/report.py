"""The evaluation report: a funnel with drop-off per step, suggestions by theme and department,
handoffs and follow-up outcomes, from anonymous events. Pure: rows in, sections out.

Counts are of distinct conversations. Every count under 5 is printed "< 5" so that nobody
can be recognised in a small cell. The same `rollup` makes the monthly counts that replace
events after 24 months, so old and recent periods are reported alike.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.dialogue.flow import Flow, Kind
from bot.messages import Messages
from bot.report_demand import never_suggested, unmet_demand
from bot.report_labels import Labels, answer_name, finishing, flow_name, step_name

SMALL = 5
EVENT_COLUMNS = (
    "person", "run", "flow", "name", "step", "value", "department", "centre", "theme", "offer"
)  # fmt: skip
# (flow, name, step, value, department, centre, theme, offer)
Key = tuple[str, str, str | None, str | None, str | None, str | None, str | None, str | None]
_DIM = {"department": 4, "centre": 5, "theme": 6}


def rollup(rows: Iterable[Sequence[object]]) -> Counter[Key]:
    """Rows of EVENT_COLUMNS, oldest first -> distinct conversations per key.

    Each conversation's department, centre and theme (that of its first suggestion) fill the
    events that lack them, so a funnel can be cut by any of them; and its last step reached
    becomes a `stopped` key: the drop-off.
    """
    conversations: dict[tuple[str, str], list[Sequence[object]]] = {}
    for row in rows:
        conversations.setdefault((str(row[0]), str(row[1])), []).append(row)
    counts: Counter[Key] = Counter()
    for events in conversations.values():
        department = next((e[6] for e in reversed(events) if e[6]), None)
        centre = next((e[7] for e in events if e[7]), None)
        theme = next((e[8] for e in events if e[8]), None)
        keys: set[Key] = set()
        last_step: Sequence[object] | None = None
        for e in events:
            name = str(e[3])
            keys.add(
                (
                    str(e[2]),
                    name,
                    _s(e[4]),
                    _s(e[5]),
                    _s(department),
                    _s(centre),
                    _s(e[8]) or _s(theme),
                    _s(e[9]),
                )
            )
            if name == "step":
                last_step = e
        if last_step is not None:
            keys.add(
                (
                    str(last_step[2]),
                    "stopped",
                    _s(last_step[4]),
                    None,
                    _s(department),
                    _s(centre),
                    _s(theme),
                    None,
                )
            )
        counts.update(keys)
    return counts


def _s(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def small(n: int) -> str:
    return f"< {SMALL}" if n < SMALL else str(n)


@dataclass
class Section:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)  # label, then counts
    values: list[tuple[str, list[int]]] = field(default_factory=list)  # the same, unsuppressed
    slug: str = ""  # the table's file name (CSV, PNG)
    axis: str = ""  # what the counts count, for a chart's axis
    grid: Grid | None = None  # drawn as a grid of cells (rows × columns) rather than bars


@dataclass(frozen=True)
class Grid:
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]  # unsuppressed; the chart hides the small ones
    row_axis: str = ""
    column_axis: str = ""


@dataclass
class Report:
    title: str
    sections: list[Section]
    note: str
    empty: str = ""  # said instead of the tables when the period holds nothing


class Builder:
    def __init__(
        self,
        counts: Counter[Key],
        flows: dict[str, Flow],
        messages: Messages,
        labels: Labels | None = None,
    ) -> None:
        self.counts = counts
        self.flows = flows
        self.m = messages
        self.labels = labels or Labels()
        self.unknown = messages.staff("report_unknown")

    def total(self, name: str, **match: str | None) -> int:
        fields = {"flow": 0, "step": 2, "value": 3, "department": 4, "centre": 5, "theme": 6}
        return sum(
            n
            for key, n in self.counts.items()
            if key[1] == name and all(key[fields[f]] == v for f, v in match.items())
        )

    def build(self, since: str | None, until: str, by: str | None = None) -> Report:
        s = self.m.staff
        title = (
            s("report_title", since=since, until=until)
            if since and since != "…"
            else s("report_title_all", until=until)
        )
        if not self.counts:
            return Report(title, [], s("report_note"), s("report_none"))
        people = s("report_axis_conversations")
        sections = [
            self._started(),
            self._finished(),
            *self._funnels(),
            self._by_dim(6, s("report_suggested_theme"), "suggested-theme"),
            self._by_dim(4, s("report_suggested_department"), "suggested-department"),
            unmet_demand(self, people),
            never_suggested(self),
            self._handoffs(),
        ]
        sections.extend(self._followups())
        if by:
            sections.append(self._breakdown(by))
        return Report(title, sections, s("report_note"))

    def section(
        self,
        title: str,
        header: tuple[str, ...],
        rows: list[tuple[str, list[int]]],
        slug: str = "",
        axis: str = "",
    ) -> Section:
        axis = axis or self.m.staff("report_axis_conversations")
        suppressed = [(label, *map(small, ns)) for label, ns in rows]
        return Section(title, header, suppressed, rows, slug, axis)

    def _started(self) -> Section:
        rows = [(flow_name(f), [self.total("started", flow=f.id)]) for f in self.flows.values()]
        return self.section(self.m.staff("report_started"), ("", ""), rows, "started")

    def _finished(self) -> Section:
        rows = []
        for flow in self.flows.values():
            ends = finishing(flow)
            done = sum(self.total("stopped", flow=flow.id, step=step) for step in ends)
            rows.append((flow_name(flow), [done]))
        return self.section(self.m.staff("report_finished"), ("", ""), rows, "finished")

    def _funnels(self) -> list[Section]:
        out = []
        s = self.m.staff
        for flow in self.flows.values():
            ends = finishing(flow)
            rows = []
            for step in flow.steps:
                reached = self.total("step", flow=flow.id, step=step.id)
                if reached:
                    stopped = self.total("stopped", flow=flow.id, step=step.id)
                    left, done = (0, stopped) if step.id in ends else (stopped, 0)
                    rows.append((step_name(flow, step.id, self.m), [reached, left, done]))
            if rows:
                header = ("", s("report_reached"), s("report_stopped"), s("report_done_here"))
                title = s("report_funnel", flow=flow_name(flow))
                out.append(self.section(title, header, rows, f"funnel-{flow.id}"))
        return out

    def _by_dim(self, dim: int, title: str, slug: str) -> Section:
        tally: Counter[str] = Counter()
        for key, n in self.counts.items():
            if key[1] == "suggested":
                tally[self.name(dim, key[dim])] += n
        rows = [(k, [n]) for k, n in sorted(tally.items())]
        return self.section(title, ("", ""), rows, slug, self.m.staff("report_axis_suggested"))

    def name(self, dim: int, value: str | None) -> str:
        kind = {4: "department", 5: "centre", 6: "theme"}[dim]
        return self.labels.dimension(kind, value, self.unknown)

    def _handoffs(self) -> Section:
        s = self.m.staff
        rows = [
            (s("report_handoff_asked"), [self.total("handoff_asked")]),
            (s("report_handoff_group"), [self.total("handoff_asked", value="group")]),
            (s("report_handoff_taken"), [self.total("handoff_taken")]),
            (s("report_handoff_done"), [self.total("handoff_done")]),
        ]
        return self.section(s("report_handoffs"), ("", ""), rows, "handoffs")

    def _followups(self) -> list[Section]:
        s = self.m.staff
        out = [
            self.section(
                s("report_followups"),
                ("", ""),
                [(s("report_followup_sent"), [self.total("followup_sent")])],
                "followups",
            )
        ]
        answered: dict[tuple[str, str], Counter[str]] = {}
        for key, n in self.counts.items():
            if key[1] == "answer" and key[2]:
                answered.setdefault((key[0], key[2]), Counter())[key[3] or ""] += n
        for (flow_id, step), values in sorted(answered.items()):
            flow = self.flows.get(flow_id)
            if flow is None:
                continue
            rows = [
                (answer_name(flow, step, v, self.m) if v else self.unknown, [n])
                for v, n in sorted(values.items())
            ]
            title = s("report_answers", step=step_name(flow, step, self.m))
            out.append(self.section(title, ("", ""), rows, f"answers-{step}"))
        return out

    def _breakdown(self, by: str) -> Section:
        dim = _DIM[by]
        values = sorted({k[dim] for k in self.counts}, key=lambda v: v or "")
        results = {s.id for f in self.flows.values() for s in f.steps if s.kind is Kind.RESULTS}
        rows = []
        for v in values:

            def total(name: str, step: set[str] | None = None, v: str | None = v) -> int:
                return sum(
                    n
                    for k, n in self.counts.items()
                    if k[1] == name and k[dim] == v and (step is None or k[2] in step)
                )

            rows.append(
                (
                    self.name(dim, v),
                    [
                        total("started"),
                        total("step", results),
                        total("handoff_asked"),
                        total("handoff_done"),
                        total("answer"),
                    ],
                )
            )
        s = self.m.staff
        header = (
            "",
            *(s(f"report_col_{c}") for c in ("started", "results", "handoffs", "done", "answers")),
        )
        return self.section(s("report_by", by=s(f"report_dim_{by}")), header, rows, f"by-{by}")


def as_text(report: Report) -> str:
    lines = [report.title, "=" * len(report.title), ""]
    if report.empty:
        lines += [report.empty, ""]
    for section in report.sections:
        lines.append(section.title)
        if not section.rows:
            lines += ["  —", ""]
            continue
        width = max(len(r[0]) for r in section.rows)
        heads = section.header[1:]
        columns = [max(8, len(h)) for h in heads] if any(heads) else [8] * len(heads)
        if any(heads):
            cells = "  ".join(h.rjust(w) for h, w in zip(heads, columns, strict=True))
            lines.append("  " + " " * width + "  " + cells)
        for row in section.rows:
            cells = "  ".join(c.rjust(w) for c, w in zip(row[1:], columns, strict=False))
            lines.append("  " + row[0].ljust(width) + "  " + cells)
        lines.append("")
    lines.append(report.note)
    return "\n".join(lines) + "\n"


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "label", "column", "count"])
    for section in report.sections:
        columns = section.header[1:] if any(section.header[1:]) else ("count",)
        for row in section.rows:
            for column, cell in zip(columns, row[1:], strict=False):
                writer.writerow([section.title, row[0], column or "count", cell])
    return out.getvalue()


EVENTS_SQL = (
    f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE day >= ? AND day <= ? ORDER BY rowid"
)
COUNTS_SQL = (
    "SELECT flow, name, step, value, department, centre, theme, offer, count FROM event_counts"
    " WHERE month >= ? AND month <= ?"
)


def combine(
    events: Iterable[Sequence[object]], monthly: Iterable[Sequence[object]]
) -> Counter[Key]:
    """Recent events (rolled up now) and the monthly counts that replaced older ones."""
    counts = rollup(events)
    for row in monthly:
        flow, name, step, value, department, centre, theme, offer = row[:8]
        key: Key = (
            str(flow),
            str(name),
            _s(step),
            _s(value),
            _s(department),
            _s(centre),
            _s(theme),
            _s(offer),
        )
        counts[key] += int(str(row[8]))
    return counts


def short_text(report: Report) -> str:
    """The few lines of /stats: conversations, handoffs, follow-ups."""
    keep = [s for s in report.sections if not s.header[1:] or not any(s.header[1:])]
    return as_text(Report(report.title, keep, report.note))
