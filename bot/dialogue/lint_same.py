"""`repere flows check`: a translation left identical to the French text (a Persian label
"Parler français") is an error.

Not counted: fields (`{place}`), the glossary's names kept in French (`France Travail`), emoji,
digits and punctuation; a text with no word left is the same everywhere by nature. In a
language written in Latin letters, one word may rightly be the same ("Documents", "CV").
"""

from __future__ import annotations

import re

OTHER_SCRIPTS = frozenset({"ar", "fa", "uk", "ru", "ps", "prs", "ti", "am", "zh", "hy", "ka"})
_FIELD = re.compile(r"\{[^}]*\}")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def left_in_french(texts: dict[str, str], kept: list[str]) -> list[str]:
    french = texts.get("fr", "")
    rest = _FIELD.sub(" ", french)
    for name in sorted(kept, key=len, reverse=True):
        rest = rest.replace(name, " ")
    words = _WORD.findall(rest)
    if not words:
        return []
    same = [
        lang
        for lang, text in texts.items()
        if lang != "fr"
        and text.strip() == french.strip()
        and (lang in OTHER_SCRIPTS or len(words) >= 2)
    ]
    if not same:
        return []
    return [f"translation identical to the French text in: {', '.join(same)} (translate it)"]
