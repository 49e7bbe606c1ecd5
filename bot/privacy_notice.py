"""The privacy notice (`/confidentialite`) in the person's language.

French is PRIVACY.md at the root of the project; the other languages are
`flows/privacy/<lang>.md`. A language without its file gets the French text.
"""

from __future__ import annotations

from pathlib import Path

from bot.paths import FLOWS_DIR, ROOT

FRENCH_NOTICE = ROOT / "PRIVACY.md"
NOTICES = FLOWS_DIR / "privacy"


def notice_path(lang: str, notices: Path = NOTICES, french: Path = FRENCH_NOTICE) -> Path:
    path = notices / f"{lang}.md"
    return path if lang.isalpha() and path.is_file() else french


def privacy_notice(lang: str, notices: Path = NOTICES, french: Path = FRENCH_NOTICE) -> str:
    """The notice's text in `lang`, or in French."""
    return notice_path(lang, notices, french).read_text(encoding="utf-8")
