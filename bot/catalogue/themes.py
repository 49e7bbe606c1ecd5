"""The theme lexicon: everyday words, as people type them, mapped to themes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator
from rapidfuzz import fuzz, process

from bot.catalogue.model import THEMES, Theme
from bot.catalogue.text import fold, phonetic
from bot.yamlsrc import read_source, validate

# A typed word must score at least this (0-100) against a lexicon word to count.
MATCH_CUTOFF = 82.0


class _ThemeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: dict[str, str]
    formacode: list[str] = []
    words: list[str]


class _Unsure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    themes: list[Theme]
    words: list[str]


class LexiconFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    themes: dict[Theme, _ThemeEntry]
    unsure: _Unsure

    @field_validator("themes")
    @classmethod
    def _every_theme(cls, value: dict[Theme, _ThemeEntry]) -> dict[Theme, _ThemeEntry]:
        missing = [t.value for t in Theme if t not in value]
        if missing:
            raise ValueError(f"every theme needs an entry; missing: {', '.join(missing)}")
        return value


@dataclass(frozen=True, slots=True)
class NeedMatch:
    """What a person's words say about their need."""

    themes: tuple[Theme, ...]  # best first
    unsure: bool = False  # "je sais pas": ask more questions
    word: str | None = None  # the lexicon word that matched best

    @property
    def found(self) -> bool:
        return bool(self.themes)


class Lexicon:
    def __init__(self, data: LexiconFile) -> None:
        self.data = data
        self.labels = {t: e.label for t, e in data.themes.items()}
        self.formacodes = {code: t for t, e in data.themes.items() for code in e.formacode}
        self._unsure = tuple(data.unsure.themes)
        keys: list[str] = []
        owners: list[tuple[Theme, ...] | None] = []  # None marks an "unsure" word
        by_word: dict[str, list[Theme]] = {}
        for theme, entry in data.themes.items():
            for w in entry.words:
                by_word.setdefault(fold(w), []).append(theme)
        for w, themes in by_word.items():
            keys.append(w)
            owners.append(tuple(themes))
        for w in data.unsure.words:
            keys.append(fold(w))
            owners.append(None)
        self._keys = keys
        self._phonetic = [phonetic(k) for k in keys]
        self._owners = owners

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        return cls(validate(read_source(path), LexiconFile))

    def label(self, theme: Theme, lang: str = "fr") -> str:
        labels = self.labels[theme]
        return labels.get(lang) or labels["fr"]

    def match(self, text: str) -> NeedMatch:
        return self._match(fold(text))

    @lru_cache(maxsize=4096)  # noqa: B019 - one lexicon lives as long as the process
    def _match(self, folded: str) -> NeedMatch:
        if not folded:
            return NeedMatch(())
        if folded in THEMES:
            return NeedMatch((Theme(folded),), word=folded)
        scores: dict[int, float] = {}
        searches = (
            (folded, self._keys, _score),
            (phonetic(folded), self._phonetic, fuzz.ratio),  # the whole phrase, sounded out
        )
        for query, choices, scorer in searches:
            for _w, score, idx in process.extract(
                query, choices, scorer=scorer, processor=None, limit=6, score_cutoff=MATCH_CUTOFF
            ):
                scores[idx] = max(scores.get(idx, 0.0), score)
        if not scores:
            return NeedMatch(())
        # the longest, best-scoring word wins: "apprendre a lire" says more than "lire"
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], -len(self._keys[kv[0]])))
        best_idx = ranked[0][0]
        if self._owners[best_idx] is None:
            return NeedMatch(self._unsure, unsure=True, word=self._keys[best_idx])
        themes: list[Theme] = []
        for idx, _s in ranked:
            for t in self._owners[idx] or ():
                if t not in themes:
                    themes.append(t)
        return NeedMatch(tuple(themes), word=self._keys[best_idx])


def _score(query: str, choice: str, score_cutoff: float | None = None, **_: object) -> float:
    """How well a lexicon phrase stands among the typed words, forgiving typos word-aligned.

    The phrase is compared with every run of as many typed words (and one more or one fewer,
    for a missing or extra little word), so "lire" never matches inside "conduire".
    """
    if query == choice:
        return 100.0
    words = query.split()
    n = choice.count(" ") + 1
    best = 0.0
    for size in {max(n - 1, 1), n, n + 1}:
        for start in range(max(len(words) - size + 1, 1)):
            window = " ".join(words[start : start + size])
            best = max(best, fuzz.ratio(window, choice))
    return best
