"""Plain words for the jargon of training schemes ("HSP", "pass IAE", "PLIE", "RIB").

`catalogue/plain_words.yaml` maps a term to its plain words; cards show catalogue text with
every term replaced, longest first, whole words only. A replacement that already reads in the
text ("relevé d'identité bancaire (RIB)") is not applied twice.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from bot.paths import CATALOGUE_DIR
from bot.yamlsrc import read_source, validate

PLAIN_WORDS = CATALOGUE_DIR / "plain_words.yaml"
_OPEN_DASH = re.compile(r"\(\s*[-–—:]\s*")
_LEFTOVERS = re.compile(r"\s*\(\s*[-–—]?\s*\)|\s*[:—–-]\s*$|^\s*[:—–-]\s*")


class PlainWordsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    replace: dict[str, str] = {}


class PlainWords:
    def __init__(self, terms: dict[str, str]) -> None:
        self.terms = terms
        ordered = sorted(terms, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<!\w)(" + "|".join(map(re.escape, ordered)) + r")(?!\w)")
            if ordered
            else None
        )

    def __call__(self, text: str) -> str:
        if self._pattern is None or not text:
            return text

        def plain(m: re.Match[str]) -> str:
            term, words = m.group(1), self.terms[m.group(1)]
            return term if term in words and words in text else words

        out = self._pattern.sub(plain, text)
        if out == text:
            return text
        return _LEFTOVERS.sub("", _OPEN_DASH.sub("(", out)).strip()

    def found(self, text: str) -> list[str]:
        """The terms a text still uses."""
        return [] if self._pattern is None else self._pattern.findall(text)


@lru_cache(maxsize=4)
def load_plain_words(path: Path = PLAIN_WORDS) -> PlainWords:
    if not path.exists():
        return PlainWords({})
    return PlainWords(validate(read_source(path), PlainWordsFile).replace)
