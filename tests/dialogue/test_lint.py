"""`repere flows check` is clean on the bundled flows and catches each planted fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.dialogue.lint import FalcRules, falc_faults
from bot.paths import FLOWS_DIR


def test_bundled_flows_are_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "check"]) == 0
    assert capsys.readouterr().out.strip() == "0 problem(s)"


def planted(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the bundled flows with the beneficiary flow edited by `edit(data)`."""
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, folder)
    path = folder / "beneficiary.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


def step(data: dict, step_id: str) -> dict:  # type: ignore[type-arg]
    return next(s for s in data["steps"] if s["id"] == step_id)


def _unknown_target(d: dict) -> None:  # type: ignore[type-arg]
    step(d, "age")["next"] = "nowhere"


def _unreachable(d: dict) -> None:  # type: ignore[type-arg]
    d["steps"].append({"id": "orphan", "kind": "info", "text": {"fr": "Bonjour.", "en": "Hi."}})


def _dead_end(d: dict) -> None:  # type: ignore[type-arg]
    del step(d, "mobility")["next"]


def _no_default_rule(d: dict) -> None:  # type: ignore[type-arg]
    step(d, "school")["next"] = [{"if": {"school": "in_france"}, "goto": "age"}]


def _missing_translation(d: dict) -> None:  # type: ignore[type-arg]
    del step(d, "age")["text"]["en"]


def _long_callback(d: dict) -> None:  # type: ignore[type-arg]
    d["id"] = "beneficiary_of_the_restos_du_coeur"[:32]
    step(d, "mobility")["choices"][0]["id"] = "on_foot_from_home_to_the_centre"


def _long_sentence(d: dict) -> None:  # type: ignore[type-arg]
    step(d, "age")["text"]["fr"] = (
        "Pouvez-vous nous dire quel est votre âge exact aujourd'hui "
        "pour que nous puissions vous proposer des formations adaptées ?"
    )


def _two_questions(d: dict) -> None:  # type: ignore[type-arg]
    step(d, "age")["text"]["fr"] = "Quel âge avez-vous ? Où habitez-vous ?"


def _abbreviation(d: dict) -> None:  # type: ignore[type-arg]
    step(d, "age")["help"] = {"fr": "Prenez un RDV avant.", "en": "Book first."}


def _no_pictogram(d: dict) -> None:  # type: ignore[type-arg]
    del step(d, "age")["choices"][1]["emoji"]


def _schema(d: dict) -> None:  # type: ignore[type-arg]
    step(d, "age")["kindd"] = "choice"


def _bad_condition(d: dict) -> None:  # type: ignore[type-arg]
    step(d, "school")["next"][0]["if"] = {"school": "on_the_moon"}


def _too_many_questions(d: dict) -> None:  # type: ignore[type-arg]
    age = step(d, "age")
    age["next"] = "age_again"
    extra = {**age, "id": "age_again", "next": "age_once_more"}
    more = {**age, "id": "age_once_more", "next": "jobseeker"}
    d["steps"][d["steps"].index(age) + 1 : d["steps"].index(age) + 1] = [extra, more]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_unknown_target, "step 'age' goes to unknown step 'nowhere'"),
        (_unreachable, "step 'orphan' cannot be reached"),
        (_dead_end, "step 'mobility' is a dead end"),
        (_no_default_rule, "every rule has a condition"),
        (_missing_translation, "missing translation: en"),
        (_long_callback, "bytes; Telegram allows 64"),
        (_long_sentence, "FALC: sentence of 18 words"),
        (_two_questions, "FALC: one question per message"),
        (_abbreviation, "FALC: abbreviation 'RDV'"),
        (_no_pictogram, "needs a pictogram"),
        (_schema, "unknown key 'kindd' (did you mean 'kind'?)"),
        (_bad_condition, "'school' has no choice 'on_the_moon'"),
        (_too_many_questions, "up to 9 questions before the first results"),
    ],
)
def test_planted_fault_is_caught(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    folder = planted(tmp_path, edit)
    assert main(["flows", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if expected in line]
    assert lines, out
    assert (
        lines[0].startswith(f"{folder / 'beneficiary.yaml'}:")
        or lines[0].startswith("flows/beneficiary.yaml:")
        or "beneficiary.yaml:" in lines[0]
    )
    line_no = int(lines[0].split("beneficiary.yaml:")[1].split(":")[0])
    assert line_no > 1 or "questions before" in expected


def test_falc_rules_on_plain_text() -> None:
    rules = FalcRules(max_words=15, abbreviations=["etc"])
    assert falc_faults("Bonjour. Vous apprenez à lire.", rules) == []
    assert falc_faults("Des livres, des cahiers, etc.", rules) == [
        "FALC: abbreviation 'etc': write the words out"
    ]
    assert falc_faults("📍 Où habitez-vous ?", rules) == []


def test_graph_is_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "graph", "beneficiary"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("flowchart TD\n")
    assert "need -- need=read_write|unsure --> school" in out
    assert "what_next -- what_next=contact, consent=yes, volunteers=group --> call_ok" in out
