"""Handing a person over: the language named in French, several choices typed at once, no
"change" on the consent line, and per idea what the volunteer acts on (small test flow)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.catalogue.centres import Centres, CentresFile
from bot.dialogue.answers import choice_parts
from bot.dialogue.engine import Engine
from bot.dialogue.flow import load_flow
from bot.dialogue.handoff import language_in_french
from bot.dialogue.replies import Ask, Handoff, Say, Turn
from bot.dialogue.state import Input
from bot.messages import Messages
from bot.resources import Resources
from tests.dialogue.conftest import TODAY, play
from tests.dialogue.test_handoff import results

FLOW = """
id: t
version: 1
audience: volunteer
languages: [fr]
title: {fr: "T-title"}
start: consent
steps:
  - id: consent
    kind: yesno
    label: {fr: "L-consent"}
    text: {fr: "Q-consent"}
    next:
      - {if: {consent: "no"}, goto: stop}
      - goto: where
  - id: stop
    kind: info
    text: {fr: "T-stop"}
  - id: where
    kind: place
    label: {fr: "L-where"}
    text: {fr: "Q-where"}
    next: documents
  - id: documents
    kind: choices
    label: {fr: "L-documents"}
    text: {fr: "Q-documents"}
    choices:
      - {id: id_card, label: {fr: "Pièce d'identité"}}
      - {id: cv, label: {fr: "CV"}}
      - {id: health, label: {fr: "Carte Vitale"}}
      - {id: ft, label: {fr: "Attestation France Travail"}}
      - {id: none, label: {fr: "Aucun"}}
    next: needs
  - id: needs
    kind: choices
    label: {fr: "L-needs"}
    text: {fr: "Q-needs"}
    choices:
      - {id: french, label: {fr: "L-french"}, data: {themes: [fle]}}
      - {id: digital, label: {fr: "L-digital"}, data: {themes: [numerique]}}
    next: results
  - id: results
    kind: results
    text: {fr: "Q-results"}
    themes:
      - themes_from: needs
    next: summary
  - id: summary
    kind: summary
    text: {fr: "Q-summary"}
    next: end
  - id: end
    kind: info
    text: {fr: "T-end"}
"""


@pytest.fixture(scope="module")
def small(resources: Resources, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path: Path = tmp_path_factory.mktemp("flows") / "t.yaml"
    path.write_text(FLOW, encoding="utf-8")
    flow, _ = load_flow(path)
    return Engine({flow.id: flow}, resources)


def at_documents(engine: Engine) -> Turn:
    turn = engine.start("t", TODAY, "fr")
    return play(engine, turn, Input(choice="yes"), Input(text="Guéret"))


@pytest.mark.parametrize("typed", ["1 5", "1,5", "1 et 5", "1, 5", "1 and 5", "1 ; 5"])
def test_several_numbers_typed_at_once_are_all_read(small: Engine, typed: str) -> None:
    turn = play(small, at_documents(small), Input(text=typed))
    assert turn.state.answers["documents"] == ["id_card", "none"]


def test_choice_parts_keep_labels_whole() -> None:
    assert [p.strip() for p in choice_parts("Carte Vitale, CV")] == ["Carte Vitale", "CV"]
    assert choice_parts("1 3 et 4") == ["1", "3", "4"]


def summary_turn(engine: Engine) -> Turn:
    return play(
        engine,
        at_documents(engine),
        Input(choice="id_card"),
        Input(choice="done"),
        Input(choice="french"),
        Input(choice="done"),
        Input(choice="continue"),
    )


def test_the_consent_line_has_no_change_button(small: Engine) -> None:
    turn = summary_turn(small)
    ask = turn.replies[-1]
    assert isinstance(ask, Ask) and ask.step == "summary"
    ids = [o.id for o in ask.options]
    assert "edit_consent" not in ids and "edit_where" in ids and "edit_documents" in ids
    summary = next(r.text for r in turn.replies if isinstance(r, Say) and "L-consent" in r.text)
    assert "L-consent" in summary  # the line stays, without its button


def test_each_idea_says_where_when_how_and_what_is_missing(small: Engine) -> None:
    turn = summary_turn(small)
    summary = next(r.text for r in turn.replies if isinstance(r, Say) and "L-consent" in r.text)
    ideas = summary.split("\n\n", 1)[1]
    assert "Où :" in ideas and "Prochaine date :" in ideas and "Pour s'inscrire :" in ideas
    missing = [line for line in ideas.splitlines() if "Documents qui manquent" in line]
    assert missing
    for line in missing:  # the identity document was given: never said missing
        assert "pièce d'identité" not in line.lower() or "titre de séjour" in line.lower()


def test_missing_documents_compare_labels_with_the_offers_wording(
    small: Engine, resources: Resources
) -> None:
    from bot.dialogue.idea_sheet import missing_documents

    flow = small.flows["t"]
    offer = next(o for o in resources.catalogue.offers() if len(o.documents) >= 2)
    state = summary_turn(small).state
    wanted = list(offer.documents)
    missing = missing_documents(flow, offer, state)
    assert [d for d in wanted if "identité" in d] and not [d for d in missing if "identité" in d]
    assert [d for d in missing if "identité" not in d] == [d for d in wanted if "identité" not in d]


def test_the_group_reads_the_language_in_french(resources: Resources) -> None:
    m: Messages = resources.messages
    names = {lang: language_in_french(m, lang) for lang in m.languages}
    assert names == {
        "fr": "français",
        "en": "anglais",
        "ar": "arabe",
        "uk": "ukrainien",
        "fa": "persan (dari)",
    }
    centres = Centres(CentresFile.model_validate({"groups": {"23": -1001}}))
    engine = Engine(resources.flows, dataclasses.replace(resources, centres=centres))
    turn = play(
        engine,
        results(engine, lang="fa"),
        Input(choice="continue"),
        Input(choice="contact"),
        Input(choice="yes"),
        Input(text="0612345678"),
        Input(choice="afternoon"),
    )
    (handoff,) = [r for r in turn.replies if isinstance(r, Handoff)]
    assert dict(handoff.lines)["Langue"] == "persan (dari)"
