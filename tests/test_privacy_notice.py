"""The privacy notice exists in the five languages and says the same things."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.messages import Messages
from bot.paths import FLOWS_DIR
from bot.privacy_notice import FRENCH_NOTICE, privacy_notice


@pytest.mark.parametrize("lang", ["en", "ar", "uk", "fa"])
def test_each_language_has_its_notice_with_the_same_sections(lang: str) -> None:
    french = privacy_notice("fr")
    text = privacy_notice(lang)
    assert text != french
    assert len(re.findall(r"^## ", text, re.M)) == len(re.findall(r"^## ", french, re.M))
    for kept in ("/oubli", "Restos du Cœur", "Telegram", "CNIL", "repere@example.org", "30"):
        assert kept in text or (kept == "30" and "۳۰" in text), kept


def test_every_language_of_the_bot_has_a_notice() -> None:
    languages = Messages.load(FLOWS_DIR / "messages.yaml").languages
    for lang in languages:
        assert privacy_notice(lang).startswith("# ")


def test_unknown_language_or_odd_code_falls_back_to_french(tmp_path: Path) -> None:
    assert privacy_notice("xx") == FRENCH_NOTICE.read_text(encoding="utf-8")
    assert privacy_notice("../fr") == FRENCH_NOTICE.read_text(encoding="utf-8")
    (tmp_path / "en.md").write_text("# test\n", encoding="utf-8")
    assert privacy_notice("en", notices=tmp_path) == "# test\n"
