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


@dataclass
class Report:
    title: str
    sections: list[Section]
    note: str


class Builder:
    def __init__(self, counts: Counter[Key], flows: dict[str, Flow], messages: Messages) -> None:
        self.counts = counts
        self.flows = flows
        self.m = messages

    def total(self, name: str, **match: str | None) -> int:
        fields = {"flow": 0, "step": 2, "value": 3, "department": 4, "centre": 5, "theme": 6}
        return sum(
            n
            for key, n in self.counts.items()
            if key[1] == name and all(key[fields[f]] == v for f, v in match.items())
        )

    def build(self, since: str, until: str, by: str | None = None) -> Report:
        staff = self.m.staff
        sections = [
            self._started(),
            *self._funnels(),
            self._by_dim(6, staff("report_suggested_theme")),
        ]
        sections.append(self._by_dim(4, staff("report_suggested_department")))
        sections.append(self._handoffs())
        sections.extend(self._followups())
        if by:
            sections.append(self._breakdown(by))
        return Report(
            staff("report_title", since=since, until=until), sections, staff("report_note")
        )

    def _section(
        self, title: str, header: tuple[str, ...], rows: list[tuple[str, list[int]]]
    ) -> Section:
        return Section(title, header, [(label, *map(small, ns)) for label, ns in rows], rows)

    def _started(self) -> Section:
        rows = [(flow_id, [self.total("started", flow=flow_id)]) for flow_id in self.flows]
        return self._section(self.m.staff("report_started"), ("", ""), rows)

    def _funnels(self) -> list[Section]:
        out = []
        for flow in self.flows.values():
            rows = []
            for step in flow.steps:
                reached = self.total("step", flow=flow.id, step=step.id)
                if reached:
                    stopped = self.total("stopped", flow=flow.id, step=step.id)
                    rows.append((step.id, [reached, stopped]))
            if rows:
                s = self.m.staff
                title = s("report_funnel", flow=flow.id)
                out.append(
                    self._section(title, ("", s("report_reached"), s("report_stopped")), rows)
                )
        return out

    def _by_dim(self, dim: int, title: str) -> Section:
        tally: Counter[str] = Counter()
        for key, n in self.counts.items():
            if key[1] == "suggested":
                tally[key[dim] or "?"] += n
        return self._section(title, ("", ""), [(k, [n]) for k, n in sorted(tally.items())])

    def _handoffs(self) -> Section:
        s = self.m.staff
        rows = [
            (s("report_handoff_asked"), [self.total("handoff_asked")]),
            (s("report_handoff_group"), [self.total("handoff_asked", value="group")]),
            (s("report_handoff_taken"), [self.total("handoff_taken")]),
            (s("report_handoff_done"), [self.total("handoff_done")]),
        ]
        return self._section(s("report_handoffs"), ("", ""), rows)

    def _followups(self) -> list[Section]:
        s = self.m.staff
        out = [
            self._section(
                s("report_followups"),
                ("", ""),
                [(s("report_followup_sent"), [self.total("followup_sent")])],
            )
        ]
        answered: dict[str, Counter[str]] = {}
        for key, n in self.counts.items():
            if key[1] == "answer" and key[2]:
                answered.setdefault(key[2], Counter())[key[3] or "?"] += n
        for step, values in sorted(answered.items()):
            rows = [(v, [n]) for v, n in sorted(values.items())]
            out.append(self._section(s("report_answers", step=step), ("", ""), rows))
        return out

    def _breakdown(self, by: str) -> Section:
        dim = _DIM[by]
        values = sorted({k[dim] or "?" for k in self.counts})
        results = {s.id for f in self.flows.values() for s in f.steps if s.kind is Kind.RESULTS}
        rows = []
        for v in values:

            def total(name: str, step: set[str] | None = None, v: str = v) -> int:
                return sum(
                    n
                    for k, n in self.counts.items()
                    if k[1] == name and (k[dim] or "?") == v and (step is None or k[2] in step)
                )

            rows.append(
                (
                    v,
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
        return self._section(s("report_by", by=s(f"report_dim_{by}")), header, rows)


def as_text(report: Report) -> str:
    lines = [report.title, "=" * len(report.title), ""]
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
