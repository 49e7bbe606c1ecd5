"""Text folding shared by the gazetteer and the theme lexicon: accents, articles, phonetics."""

from __future__ import annotations

import re
import unicodedata

_NON_ALNUM = re.compile(r"[\W_]+")  # letters of every script stay: "نعم", "так"
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": "'"})
# Arabic and Persian spellings of one letter, typed either way: one form each. Digits of every
# script become ASCII ("١٩", "۱۹" -> "19"); the tatweel (a stretching stroke) and the
# zero-width non-joiner ("نمی‌دانم" / "نمیدانم") are dropped.
_ARABIC = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "ؤ": "و",
        "ـ": None,
        "\u200c": None,
        "\u200d": None,
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)
# An apostrophe inside a Ukrainian word belongs to it: "комп'ютер", "комп’ютер", "компютер".
_CYRILLIC_APOSTROPHE = re.compile(r"(?<=[а-яіїєґ])['’ʼ`](?=[а-яіїєґ])")
ARTICLES = frozenset({"le", "la", "les", "l", "aux", "las", "los"})
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def _strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


# Latin letters with accents, folded once: most text never needs the slow path below.
_FOLD_TABLE = str.maketrans(
    {chr(c): _strip_accents(chr(c)) for c in range(0xC0, 0x250) if chr(c).isalpha()}
)
_FOLD_TABLE.update(_LIGATURES)


def fold(text: str) -> str:
    """Lower case, no accents, words separated by one space: "L'Île-d'Yeu" -> "l ile d yeu"."""
    text = text.lower().translate(_FOLD_TABLE)
    if not text.isascii():
        text = _CYRILLIC_APOSTROPHE.sub("", _strip_accents(text).translate(_ARABIC))
    return _NON_ALNUM.sub(" ", text).strip()


def place_words(text: str) -> list[str]:
    """Folded words of a place name, with "St"/"Ste" spelt out and a leading article dropped."""
    words = [_ABBREVIATIONS.get(w, w) for w in fold(text).split()]
    if len(words) > 1 and words[0] in ARTICLES:
        words = words[1:]
    return words


# Ordered rewrite rules: a rough French phonetic key, enough for "bordo" = "Bordeaux".
_PHONETIC_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"eaux|eau|aux|au", "o"),
        (r"ph", "f"),
        (r"qu|ck|q", "k"),
        (r"gu(?=[eiy])", "g"),
        (r"c(?=[eiy])", "s"),
        (r"sch", "ch"),
        (r"(?<![cs])h", ""),
        (r"c", "k"),
        (r"y", "i"),
        (r"ai|ei", "e"),
        (r"e[nm](?=[^aeiou]|$)|a[nm](?=[^aeiou]|$)", "an"),
        (r"z", "s"),
        (r"w", "v"),
        (r"(.)\1+", r"\1"),
        (r"(?<=.)[stdxe]+$", ""),
    )
)


def phonetic(text: str) -> str:
    """A phonetic key of already folded text, spaces removed."""
    key = text.replace(" ", "")
    for pattern, repl in _PHONETIC_RULES:
        key = pattern.sub(repl, key)
    return key
