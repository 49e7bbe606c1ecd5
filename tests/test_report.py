"""The evaluation report on a hand-made fixture: a funnel computed by hand, small cells hidden."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.dialogue.flow import load_flows
from bot.messages import Messages
from bot.paths import FLOWS_DIR
from bot.report import Builder, Report, as_csv, as_text, combine, rollup, small
from bot.report_labels import Labels
from bot.store import MIGRATIONS

# (day, person, run, name, step, value, department, centre, theme, offer)
Row = tuple[
    str, str, str, str, str | None, str | None, str | None, str | None, str | None, str | None
]


def conversation(
    person: str, day: str, last: str, department: str, handoff: bool = False
) -> list[Row]:
    """A conversation that reached the steps up to `last` (in this order)."""
    path = ["where", "need", "age", "jobseeker", "mobility", "results", "what_next"]
    rows: list[Row] = [(day, person, "r1", "started", None, None, None, "gueret", None, None)]
    for step in path[: path.index(last) + 1]:
        rows.append(
            (
                day,
                person,
                "r1",
                "step",
                step,
                None,
                department if step != "where" else None,
                None,
                None,
                None,
            )
        )
        if step == "results":
            rows += [
                (day, person, "r1", "suggested", "results", None, department, None, "fle", "o1"),
                (
                    day,
                    person,
                    "r1",
                    "suggested",
                    "results",
                    None,
                    department,
                    None,
                    "numerique",
                    "o2",
                ),
            ]
    if handoff:
        rows.append(
            (day, person, "r1", "handoff_asked", None, "group", department, None, None, None)
        )
    return rows


# 12 conversations, counted by hand:
#   7 reach what_next (5 in Creuse 23, of whom 2 ask a call; 2 in Haute-Vienne 87)
#   3 stop at "need" (Creuse)
#   2 stop at "age" (Gironde 33)
FIXTURE: list[Row] = [
    *[r for i in range(5) for r in conversation(f"p{i}", "2026-10-02", "what_next", "23", i < 2)],
    *[r for i in range(5, 7) for r in conversation(f"p{i}", "2026-10-03", "what_next", "87")],
    *[r for i in range(7, 10) for r in conversation(f"p{i}", "2026-10-04", "need", "23")],
    *[r for i in range(10, 12) for r in conversation(f"p{i}", "2026-11-20", "age", "33")],
]


def as_event_rows(rows: list[Row]) -> list[tuple[object, ...]]:
    # EVENT_COLUMNS order: person, run, flow, name, step, value, department, centre, theme, offer
    return [(r[1], r[2], "beneficiary", *r[3:]) for r in rows]


@pytest.fixture(scope="module")
def report() -> Report:
    counts = rollup(as_event_rows(FIXTURE))
    flows = load_flows(FLOWS_DIR)
    labels = Labels(
        departments={"23": "Creuse", "87": "Haute-Vienne", "33": "Gironde"},
        themes={"fle": "Français", "numerique": "Numérique"},
    )
    messages = Messages.load(FLOWS_DIR / "messages.yaml")
    return Builder(counts, flows, messages, labels).build(
        "1 octobre 2026", "30 novembre 2026", by="department"
    )


def section(report: Report, start: str) -> dict[str, list[int]]:
    found = next(s for s in report.sections if s.title.startswith(start))
    return dict(found.values)


def test_the_funnel_matches_the_one_counted_by_hand(report: Report) -> None:
    funnel = section(report, "Parcours (Mon orientation)")
    # reached, stopped there (dropped out), ended there (a normal end)
    assert funnel["Commune"] == [12, 0, 0]
    assert funnel["Besoin"] == [12, 3, 0]
    assert funnel["Âge"] == [9, 2, 0]
    assert funnel["France Travail"] == [7, 0, 0]
    assert funnel["Idées proposées"] == [7, 0, 0]
    assert funnel["Et maintenant ?"] == [7, 7, 0]
    assert section(report, "Conversations commencées")["Mon orientation"] == [12]


def test_suggestions_by_theme_and_department(report: Report) -> None:
    assert section(report, "Idées proposées, par thème") == {"Français": [7], "Numérique": [7]}
    by_department = section(report, "Idées proposées, par département")
    assert by_department == {"Creuse (23)": [10], "Haute-Vienne (87)": [4]}


def test_small_cells_are_printed_as_less_than_five(report: Report) -> None:
    text = as_text(report)
    handoffs = section(report, "Mises en relation")
    assert handoffs["demandées"] == [2]
    assert small(2) == "< 5" and small(0) == "< 5" and small(5) == "5"
    asked = next(line for line in text.splitlines() if "demandées" in line)
    assert asked.split()[-2:] == ["<", "5"]
    by = section(report, "Par département")
    assert by["Gironde (33)"] == [2, 0, 0, 0, 0]
    line_33 = next(line for line in text.splitlines() if line.strip().startswith("Gironde (33)"))
    assert " 2 " not in line_33.removeprefix("  Gironde (33)") and line_33.count("< 5") == 5
    assert "12" in next(line for line in text.splitlines() if "Mon orientation" in line)
    for row in (r for s in report.sections for r in s.rows):  # no small number anywhere
        for cell in row[1:]:
            assert cell == "< 5" or int(cell) >= 5, row


def test_csv_carries_the_same_suppressed_cells(report: Report) -> None:
    lines = as_csv(report).splitlines()
    assert lines[0] == "section,label,column,count"
    assert any(",Besoin,arrêtées là,< 5" in line for line in lines)
    assert any(",Besoin,arrivées,12" in line for line in lines)


def test_monthly_counts_add_up_with_recent_events() -> None:
    counts = combine(
        as_event_rows(FIXTURE),
        [("beneficiary", "started", None, None, "23", "gueret", None, None, 30)],
    )
    assert sum(n for k, n in counts.items() if k[1] == "started") == 42


def _database(path: Path, rows: list[Row]) -> None:
    with sqlite3.connect(path) as conn:
        for n, script in enumerate(MIGRATIONS, start=1):
            conn.executescript(f"{script}\nPRAGMA user_version = {n};")
        conn.executemany(
            "INSERT INTO events (day, person, run, flow, name, step, value, department, centre,"
            " theme, offer) VALUES (?, ?, ?, 'beneficiary', ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


def test_repere_report_reads_the_database_and_filters_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "r.db"
    _database(db, FIXTURE)
    assert main(["report", "--db", str(db), "--until", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    assert "Repère — rapport d'évaluation, depuis le début jusqu'au 31 octobre 2026" in out
    started = next(line for line in out.splitlines() if line.strip().startswith("Mon orient"))
    assert started.split()[-1] == "10"  # the two of November are left out
    assert main(["report", "--db", str(db), "--format", "csv", "--by", "theme"]) == 0
    assert capsys.readouterr().out.startswith("section,label,column,count")


def test_repere_report_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    db, png = tmp_path / "r.db", tmp_path / "report.png"
    _database(db, FIXTURE)
    assert main(["report", "--db", str(db), "--format", "png", "--out", str(png)]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_repere_report_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--db", str(tmp_path / "none.db")]) == 1
    assert "no such database" in capsys.readouterr().err
    assert main(["report", "--db", str(tmp_path / "none.db"), "--since", "2026-13-01"]) == 2
    assert "« 2026-13-01 » n'est pas une date" in capsys.readouterr().err
    late = ["--since", "2026-11-01", "--until", "2026-10-01"]
    assert main(["report", "--db", str(tmp_path / "none.db"), *late]) == 2
    assert "--since (2026-11-01) est après --until (2026-10-01)" in capsys.readouterr().err
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert main(["report", "--db", str(other)]) == 1
    assert "not a Repère database" in capsys.readouterr().err
    assert main(["report", "--db", str(other), "--format", "png"]) == 2
