"""The report on a database filled by a scripted run of a few hundred conversations.

The engine is driven directly (as the channel does) and its events are written through
`Records.add_events`; what the report says is compared with what the conversations showed:
the steps each one was asked, the searches' outcomes, and the offers on the cards.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.commands.report import labels_of, read_report
from bot.dialogue.engine import Engine
from bot.dialogue.events import where_from
from bot.dialogue.replies import Ask, Results, Turn
from bot.dialogue.state import Input
from bot.paths import CATALOGUE_DIR, FLOWS_DIR
from bot.records import Records
from bot.report import Report
from bot.report_labels import finishing
from bot.resources import Resources
from bot.store import SqliteStore

DAY = date(2026, 11, 26)
PLACES = ("Guéret", "Limoges", "Bordeaux", "Pau", "Niort", "Aubusson", "Felletin", "Bonnat")
NEEDS = ("read_write", "french", "digital", "job_idea", "trade", "work_now", "unsure")
MOBILITY = ("walk", "bike", "bus", "car", "home", "dont_know")
CONVERSATIONS = 300


@dataclass
class Seen:
    """What the conversations showed, read from the replies (not from the events)."""

    asked: Counter[str] = field(default_factory=Counter)
    stopped: Counter[str] = field(default_factory=Counter)
    ended: Counter[str] = field(default_factory=Counter)
    searches: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    offers: set[str] = field(default_factory=set)
    started: int = 0


def script(rng: random.Random) -> dict[str, str]:
    """The answers of one person; `stop` names the step they leave at, if any."""
    answers = {
        "language": rng.choice(("fr", "fr", "ar", "uk", "fa", "en")),
        "consent": rng.choice(("yes",) * 8 + ("only_now", "no")),
        "where": rng.choice(PLACES),
        "need": rng.choice(NEEDS),
        "school": rng.choice(("in_france", "abroad", "never", "dont_know")),
        "speaks_french": rng.choice(("well", "little", "not_yet")),
        "age": rng.choice(("age_16_17", "age_18_25", "age_26_49", "age_50_plus")),
        "jobseeker": rng.choice(("yes", "no", "dont_know")),
        "mobility": rng.choice(MOBILITY),
        "results": "continue",
        "what_next": "summary",
        "summary": "ok",
        "followup_offer": rng.choice(("yes", "no")),
    }
    roll = rng.random()
    if roll < 0.15:
        answers["stop"] = "need"
    elif roll < 0.25:
        answers["stop"] = "age"
    return answers


async def converse(
    engine: Engine, records: Records, n: int, answers: dict[str, str], seen: Seen
) -> None:
    flow = engine.flows["beneficiary"]
    turn: Turn = engine.start("beneficiary", DAY)
    turn = await _record(records, n, turn, engine)
    last: str | None = None
    asked: list[str] = []
    for _ in range(40):
        ask = next((r for r in reversed(turn.replies) if isinstance(r, Ask)), None)
        if ask is None:
            break
        if ask.step not in asked:
            asked.append(ask.step)
        for reply in turn.replies:
            if isinstance(reply, Results) and turn.state.keep:
                department, _centre = where_from(flow, turn.state)
                for theme in reply.themes if reply.found else ():
                    seen.searches[(department or "", theme, reply.found or "")] += 1
                seen.offers.update(c.offer_id for c in reply.cards)
        if answers.get("stop") == ask.step:
            break
        if ask.step == last and ask.options:  # not understood, or which commune: the first
            inp = Input(choice=ask.options[0].id, step=ask.step)
        elif ask.expects == "place":
            inp = Input(text=answers["where"])
        else:
            inp = Input(choice=answers[ask.step], step=ask.step)
        last = ask.step
        turn = await _record(records, n, engine.handle(turn.state, inp, DAY), engine)
    if turn.state.keep:
        seen.started += 1
        seen.asked.update(asked)
        if asked:
            ends = finishing(flow)
            (seen.ended if asked[-1] in ends else seen.stopped)[asked[-1]] += 1


async def _record(records: Records, n: int, turn: Turn, engine: Engine) -> Turn:
    """What the channel does with a turn: give the run an id, keep its events if agreed."""
    state = turn.state if turn.state.run else turn.state.model_copy(update={"run": f"run{n}"})
    if state.keep and turn.events:
        department, centre = where_from(engine.flows["beneficiary"], state)
        await records.add_events(
            f"p{n}", state.run, state.flow, turn.events, DAY, department, centre
        )
    return Turn(state, turn.replies, turn.events)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, resources: Resources) -> tuple[Path, Seen]:
    import asyncio

    db = tmp_path_factory.mktemp("scripted") / "repere.db"
    seen = Seen()

    async def fill() -> None:
        store = await SqliteStore.open(db)
        records = Records(store.db)
        engine = Engine(resources.flows, resources)
        rng = random.Random(16)
        for n in range(CONVERSATIONS):
            await converse(engine, records, n, script(rng), seen)
        await records.close()
        await store.close()

    asyncio.run(fill())
    return db, seen


@pytest.fixture(scope="module")
def report(filled: tuple[Path, Seen]) -> Report:
    db, _seen = filled
    return read_report(db, FLOWS_DIR, None, DAY.isoformat(), None, labels_of(CATALOGUE_DIR))


def values(report: Report, slug: str) -> dict[str, list[int]]:
    return dict(next(s for s in report.sections if s.slug == slug).values)


def test_the_funnel_matches_the_conversations(filled: tuple[Path, Seen], report: Report) -> None:
    _db, seen = filled
    assert seen.started > 200
    assert values(report, "started")["Mon orientation"] == [seen.started]
    funnel = values(report, "funnel-beneficiary")
    assert funnel["Commune"][0] == seen.asked["where"]
    assert funnel["Besoin"] == [seen.asked["need"], seen.stopped["need"], 0]
    assert funnel["Âge"][:2] == [seen.asked["age"], seen.stopped["age"]]
    assert seen.stopped["need"] > 20 and seen.stopped["age"] > 10
    # the normal end is not a drop-out: every finished conversation is counted as ended
    assert funnel["Proposition de suivi"][1:] == [0, seen.ended["followup_offer"]]
    assert funnel["Résumé"][1:] == [0, seen.ended["summary"]]
    assert values(report, "finished")["Mon orientation"] == [sum(seen.ended.values())]


def test_unmet_demand_matches_the_searches(filled: tuple[Path, Seen], report: Report) -> None:
    _db, seen = filled
    table = values(report, "unmet-demand")
    names = labels_of(CATALOGUE_DIR)
    expected: dict[str, list[int]] = {}
    for (department, theme, found), n in seen.searches.items():
        label = f"{names.department(department, '')} · {names.theme(theme, '')}"
        row = expected.setdefault(label, [0, 0, 0, 0])
        row[0] += n
        if found != "near":
            row[1] += n
            row[2 if found != "nothing" else 3] += n
    assert table == expected
    assert any(row[1] for row in table.values())  # some demand went unmet
    assert any(row[3] for row in table.values())  # and some found nothing at all


def test_offers_never_suggested_are_the_ones_no_card_showed(
    filled: tuple[Path, Seen], report: Report
) -> None:
    _db, seen = filled
    section = next(s for s in report.sections if s.slug == "never-suggested")
    listed = {row[0].rsplit("(", 1)[1].rstrip(")") for row in section.rows}
    catalogue = set(labels_of(CATALOGUE_DIR).offers)
    assert listed == catalogue - seen.offers
    assert listed and seen.offers
    assert section.title.endswith(f"{len(listed)} sur {len(catalogue)}")


def test_every_table_as_csv_and_png_and_the_html_page(
    filled: tuple[Path, Seen], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, _seen = filled
    common = ["report", "--db", str(db), "--until", DAY.isoformat()]
    assert main([*common, "--format", "csv", "--out", str(tmp_path / "csv")]) == 0
    csvs = sorted(p.name for p in (tmp_path / "csv").iterdir())
    assert any(n.endswith("unmet-demand.csv") for n in csvs)
    unmet = next((tmp_path / "csv").glob("*unmet-demand.csv")).read_text().splitlines()
    assert unmet[0].endswith("recherches,rien à portée,trouvé plus loin,rien du tout")
    assert any(n.endswith("never-suggested.csv") for n in csvs)
    assert main([*common, "--format", "html", "--out", str(tmp_path / "r.html")]) == 0
    page = (tmp_path / "r.html").read_text()
    assert "Demande non satisfaite" in page and "Offres jamais proposées" in page
    pytest.importorskip("matplotlib")
    assert main([*common, "--format", "png", "--out", str(tmp_path / "png")]) == 0
    pngs = sorted((tmp_path / "png").glob("*.png"))
    assert any("unmet-demand" in p.name for p in pngs) and len(pngs) >= 8
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
