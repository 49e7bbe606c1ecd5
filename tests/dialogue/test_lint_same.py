"""`repere flows check` refuses a translation left identical to the French text; proper names
of the glossary, fields and languages named in their own script are not translations."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.dialogue.lint_same import left_in_french
from tests.dialogue.test_lint import planted, step


def _persian_label_left_in_french(d: dict) -> None:  # type: ignore[type-arg]
    step(d, "need")["choices"][1]["label"]["fa"] = "Parler français"
    step(d, "need")["choices"][1]["label"]["fr"] = "Parler français"


def test_a_label_left_in_french_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = planted(tmp_path, _persian_label_left_in_french)
    assert main(["flows", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if "identical to the French text" in x]
    assert "beneficiary.yaml:" in line and "in: fa" in line


def test_a_message_left_in_french_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = planted(tmp_path, lambda d: None)
    path = folder / "messages.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["messages"]["see_more"]["uk"] = data["messages"]["see_more"]["fr"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert main(["flows", "check", str(folder)]) == 1
    assert "identical to the French text in: uk" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("texts", "faulty"),
    [
        ({"fr": "Parler français", "fa": "Parler français", "en": "Speak French"}, True),
        ({"fr": "Parler français", "en": "Parler français"}, True),  # two words in English
        ({"fr": "Documents", "en": "Documents"}, False),  # one word may be the same
        ({"fr": "Documents", "uk": "Documents"}, True),  # not in another script
        ({"fr": "France Travail", "ar": "France Travail"}, False),  # a name of the glossary
        ({"fr": "📍 {place}", "fa": "📍 {place}"}, False),  # nothing to translate
        ({"fr": "{price} €", "uk": "{price} €"}, False),
    ],
)
def test_what_counts_as_left_in_french(texts: dict[str, str], faulty: bool) -> None:
    assert bool(left_in_french(texts, ["France Travail"])) is faulty


def test_graph_of_an_unknown_flow_names_the_flows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "graph", "foo"]) == 1
    err = capsys.readouterr().err
    assert "unknown flow 'foo'" in err and "beneficiary, volunteer" in err
    assert "Errno" not in err
