"""The themes, as data: labels, FORMACODE, and the everyday words people type, per language.

`catalogue/themes.yaml` is the one list of themes. A coordinator adds a theme there (a label in
the five languages, words, FORMACODE codes or prefixes) and the catalogue, the flows, the
matcher and the LHEO import accept it: every theme name elsewhere is checked against it.

Typed text is matched word by word: each word of a lexicon phrase must stand, in order, among
the typed words (a small typo forgiven, one extra typed word allowed between two), so "lire"
never matches inside "conduire". A specific word beats a generic one ("jardin" over
"travailler"); words of needs no theme answers ("conduire") match nothing, on purpose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from rapidfuzz import fuzz, process

from bot.catalogue.model import Theme
from bot.catalogue.text import fold, phonetic
from bot.paths import CATALOGUE_DIR
from bot.yamlsrc import read_source, validate

LANGUAGES = ("fr", "en", "ar", "uk", "fa")
Lang = Literal["fr", "en", "ar", "uk", "fa"]
ThemeName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
Words = dict[Lang, list[str]]

# A typed word must score at least this (0-100) against a lexicon word to count; words of
# three letters or fewer must be typed exactly.
WORD_CUTOFF = 80.0
SHORT_WORD = 3
PHONETIC_SCORE = 85.0  # a word that sounds the same ("ortograf")
SPECIFIC, GENERIC = 1.0, 0.5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ThemeEntry(_Strict):
    label: dict[Lang, str]
    # FORMACODE codes (5 digits) or prefixes (2 to 4 digits: the whole family)
    formacode: list[Annotated[str, StringConstraints(pattern=r"^\d{2,5}$")]] = []
    # LHEO <objectif-general-formation> codes that alone say this theme
    lheo_objectives: list[Annotated[str, StringConstraints(pattern=r"^\d{1,2}$")]] = []
    words: Words  # specific words: they say this need
    generic: Words = Field(default_factory=dict)  # words that say little alone ("travail")

    @model_validator(mode="after")
    def _five_labels(self) -> _ThemeEntry:
        missing = [lang for lang in LANGUAGES if not self.label.get(lang)]  # type: ignore[call-overload]
        if missing:
            raise ValueError(f"a label is missing in: {', '.join(missing)}")
        return self


class _Unsure(_Strict):
    themes: list[ThemeName]
    words: Words


class _Unknown(_Strict):
    words: Words = Field(default_factory=dict)


class LexiconFile(_Strict):
    themes: dict[ThemeName, _ThemeEntry] = Field(min_length=1)
    unsure: _Unsure
    # needs no theme answers: typed, they get the buttons, never a wrong guess
    unknown: _Unknown = _Unknown()

    @model_validator(mode="after")
    def _known(self) -> LexiconFile:
        strays = [t for t in self.unsure.themes if t not in self.themes]
        if strays:
            raise ValueError(f"unsure: unknown theme '{strays[0]}'")
        return self


@dataclass(frozen=True, slots=True)
class Formacodes:
    """FORMACODE codes and LHEO objectives -> theme names (what the LHEO import needs)."""

    codes: dict[str, Theme]  # a code, or a prefix of 2 to 4 digits
    objectives: dict[str, Theme]

    def theme(self, code: str) -> Theme | None:
        for n in (5, 4, 3, 2):
            if (theme := self.codes.get(code[:n])) is not None:
                return theme
        return None

    def objective(self, code: str) -> Theme | None:
        return self.objectives.get(code)


@dataclass(frozen=True, slots=True)
class NeedMatch:
    """What a person's words say about their need."""

    themes: tuple[Theme, ...]  # best first
    unsure: bool = False  # "je sais pas": ask more questions
    word: str | None = None  # the lexicon phrase that matched best

    @property
    def found(self) -> bool:
        return bool(self.themes)


_UNSURE, _UNKNOWN = "?", "!"  # owners of the phrases that are not themes


@dataclass(frozen=True, slots=True)
class _Phrase:
    words: tuple[str, ...]
    owner: str  # a theme name, _UNSURE or _UNKNOWN
    weight: float


class Lexicon:
    def __init__(self, data: LexiconFile) -> None:
        self.data = data
        self.names: tuple[Theme, ...] = tuple(data.themes)
        self.labels: dict[Theme, dict[str, str]] = {
            t: {str(lang): text for lang, text in e.label.items()} for t, e in data.themes.items()
        }
        self.formacodes = Formacodes(
            {code: t for t, e in data.themes.items() for code in e.formacode},
            {goal: t for t, e in data.themes.items() for goal in e.lheo_objectives},
        )
        self._unsure = tuple(data.unsure.themes)
        phrases: dict[tuple[tuple[str, ...], str], _Phrase] = {}

        def add(words: Iterable[str], owner: str, weight: float) -> None:
            for w in words:
                key = tuple(fold(w).split())
                if key and (key, owner) not in phrases:
                    phrases[(key, owner)] = _Phrase(key, owner, weight)

        for theme, entry in data.themes.items():
            for lang_words in entry.words.values():
                add(lang_words, theme, SPECIFIC)
            for lang_words in entry.generic.values():
                add(lang_words, theme, GENERIC)
        for lang_words in data.unsure.words.values():
            add(lang_words, _UNSURE, SPECIFIC)
        for lang_words in data.unknown.words.values():
            add(lang_words, _UNKNOWN, SPECIFIC)
        self._phrases = list(phrases.values())
        self._vocab = sorted({w for p in self._phrases for w in p.words})
        self._words = frozenset(self._vocab)
        self._short_of: dict[str, list[str]] = {}  # "lir" -> ["lire"]
        for w in self._vocab:
            if len(w) == SHORT_WORD + 1:
                self._short_of.setdefault(w[:-1], []).append(w)
        self._sounds: dict[str, list[str]] = {}
        for w in self._vocab:
            if len(w) > SHORT_WORD and w.isascii():
                self._sounds.setdefault(phonetic(w), []).append(w)
        self._by_first: dict[str, list[_Phrase]] = {}
        for p in self._phrases:
            self._by_first.setdefault(p.words[0], []).append(p)

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
        if folded.replace(" ", "_") in self.labels:
            return NeedMatch((folded.replace(" ", "_"),), word=folded)
        typed = folded.split()
        near = [self._near(w) for w in typed]
        found: list[tuple[float, int, float, _Phrase]] = []
        for start, first in enumerate(near):
            for word in first:
                for phrase in self._by_first.get(word, ()):
                    score = _align(phrase.words, near, start)
                    if score is not None:
                        found.append((phrase.weight, len(phrase.words), score, phrase))
        if not found:
            return NeedMatch(())
        # the weightiest, longest, closest phrase; a theme before an "unknown" phrase
        found.sort(key=lambda f: (-f[0], -f[1], -f[2], f[3].owner == _UNKNOWN))
        best = found[0][3]
        word = " ".join(best.words)
        if best.owner == _UNKNOWN:
            return NeedMatch((), word=word)
        if best.owner == _UNSURE:
            return NeedMatch(self._unsure, unsure=True, word=word)
        themes = dict.fromkeys(f[3].owner for f in found if f[3].owner not in (_UNSURE, _UNKNOWN))
        return NeedMatch(tuple(themes), word=word)

    def _near(self, typed: str) -> dict[str, float]:
        """Lexicon words this typed word may be, with how close (0-100)."""
        if len(typed) <= SHORT_WORD:  # exact, or one letter short at the end ("lir")
            if typed in self._words:
                return {typed: 100.0}
            return {w: PHONETIC_SCORE for w in self._short_of.get(typed, ())}
        out = {
            w: s
            for w, s, _i in process.extract(
                typed,
                self._vocab,
                scorer=fuzz.ratio,
                processor=None,
                limit=8,
                score_cutoff=WORD_CUTOFF,
            )
            if len(w) > SHORT_WORD or s == 100.0
        }
        if typed.isascii():
            for w in self._sounds.get(phonetic(typed), ()):
                out[w] = max(out.get(w, 0.0), PHONETIC_SCORE)
        return out


def _align(words: tuple[str, ...], near: list[dict[str, float]], start: int) -> float | None:
    """The mean closeness of a phrase read from typed word `start` on, or None if it is not
    there. One extra typed word may stand between two of the phrase's; a little word of the
    phrase (two letters or fewer: "a", "d", "de") may be missing from what was typed."""
    total, pos = 0.0, start
    for n, word in enumerate(words):
        if n == 0:
            total += near[start][word]
            continue
        for at in (pos + 1, pos + 2):
            if at < len(near) and word in near[at]:
                total += near[at][word]
                pos = at
                break
        else:
            if len(word) > 2:
                return None
    return total / len(words)


def theme_names(path: Path) -> frozenset[Theme]:
    """The theme names a themes file defines (read again only when the file changes)."""
    stat = path.stat()
    return _theme_names(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _theme_names(path: Path, _mtime: int, _size: int) -> frozenset[Theme]:
    return frozenset(Lexicon.load(path).names)


def themes_file(directory: Path) -> Path:
    """The themes file beside a catalogue's offers, else the bundled one."""
    own = directory / "themes.yaml"
    return own if own.exists() else CATALOGUE_DIR / "themes.yaml"
