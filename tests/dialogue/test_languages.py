"""Five languages: full coverage, a whole conversation in each, right-to-left done right."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.dialogue.bidi import LRI, PDI, RLM, isolate
from bot.messages import Messages
from bot.paths import FLOWS_DIR
from tests.channels.chat_helpers import asks, chat, last_ask, suggestions

LANGS = ["fr", "en", "ar", "uk", "fa"]
# Answers by button number: consent, (place), need=speak French, age 26-49, France Travail yes,
# by car; then the results' "continue" (no "see more": nothing more) and "see the summary".
ANSWERS = ["1", "Guéret", "2", "3", "1", "4", "1", "2"]
CONSENT = {
    "fr": "Je garde vos réponses",
    "en": "I keep your answers",
    "ar": "أحتفظ بإجاباتك",
    "uk": "Я зберігаю ваші",
    "fa": "پاسخ‌های شما را",
}


def test_messages_cover_every_language(messages: Messages) -> None:
    assert list(messages.languages) == LANGS
    for key, texts in messages.data.messages.items():
        assert set(texts) == set(LANGS), key
    assert messages.rtl == {"ar", "fa"}


def test_language_buttons_show_each_language_in_its_own_script() -> None:
    first = chat([])[0]
    assert first["step"] == "language"
    assert [c.split(" ", 1)[1] for c in first["choices"]] == [
        "Français",
        "English",
        "العربية",
        "Українська",
        "فارسی",
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_whole_conversation_in_each_language(lang: str) -> None:
    replies = chat(ANSWERS, "--lang", lang)
    assert CONSENT[lang] in replies[0]["text"]
    shown = suggestions(replies)
    assert shown and "fle" in shown[0]["themes"]
    summary = next(r for r in replies if r["text"].lstrip(RLM).startswith("📋"))
    assert "Guéret" in summary["text"]  # French proper names stay in French
    assert last_ask(replies)["step"] == "summary"
    if lang != "fr":  # nothing French leaks into the questions
        for ask in asks(replies):
            assert "Qu'est-ce que" not in ask["text"] and "Quel âge" not in ask["text"]


@pytest.mark.parametrize("lang", LANGS)
def test_chosen_language_button_switches_the_conversation(lang: str) -> None:
    n = str(LANGS.index(lang) + 1)
    replies = chat([n])
    assert CONSENT[lang] in replies[-1]["text"]


def test_langue_in_the_middle_keeps_the_answers() -> None:
    replies = chat(["1", "1", "Guéret", "2", "/langue", "العربية"])
    assert "كم عمرك" in last_ask(replies)["text"]  # the same question (age), in Arabic
    replies = chat(["1", "1", "Guéret", "2", "/langue", "العربية", "/retour"])
    assert "التحدث بالفرنسية" in replies[-2]["text"]  # "before, you answered: speak French"


def test_typed_answers_in_other_scripts() -> None:
    assert last_ask(chat(["نعم"], "--lang", "ar"))["step"] == "where"
    assert last_ask(chat(["так"], "--lang", "uk"))["step"] == "where"
    assert last_ask(chat(["بله"], "--lang", "fa"))["step"] == "where"


def test_right_to_left_texts_carry_isolates() -> None:
    replies = chat(ANSWERS[:6], "--lang", "ar")
    results = next(r for r in replies if "suggestions" in r)
    text = results["text"]
    assert text.startswith(RLM)  # the paragraph reads from the right
    assert text.count(RLM) > 10  # and so do every title, reason and line of the cards
    assert f"{LRI}Guéret{PDI}" in text  # a French name inside Arabic text
    assert f"{LRI}+33 5 36 49" not in text  # the terminal keeps the number as written
    assert any(f"{LRI}{n}" in text for n in "0123456789")  # numbers and dates in order
    uk = next(r for r in chat(ANSWERS[:6], "--lang", "uk") if "suggestions" in r)
    assert LRI not in uk["text"] and RLM not in uk["text"]  # left-to-right: nothing added


def test_isolate_keeps_latin_runs_whole() -> None:
    assert isolate("على بُعد 12 كم من Saint-Junien") == (
        f"{RLM}على بُعد {LRI}12{PDI} كم من {LRI}Saint-Junien{PDI}"
    )
    assert isolate("📞 05 36 49 00 37") == f"{RLM}📞 {LRI}05 36 49 00 37{PDI}"
    assert isolate("contact@exemple.example.org") == f"{RLM}{LRI}contact@exemple.example.org{PDI}"
    once = isolate("Guéret")
    assert isolate(once) == once


def test_a_missing_translation_fails_the_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, folder)
    path = folder / "messages.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["messages"]["reason_free"]["uk"]
    data["messages"]["results_none"]["fa"] = "چیزی پیدا نکردم."  # drops "Restos du Cœur"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["flows", "check", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "message 'reason_free': missing translation: uk" in out
    assert "'Restos du Cœur' stays in French in every language; missing in: fa" in out
