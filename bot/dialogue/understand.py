"""Make sense of typed text on a step that offers buttons: numbers, labels, typos, the lexicon."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.catalogue.text import fold
from bot.catalogue.themes import Lexicon
from bot.dialogue.flow import Choice

SURE = 92.0  # a label typed this close is taken as it is
CLOSE = 70.0  # this close: "Vouliez-vous dire … ?"
WORD_CLOSE = 80.0  # a typed word this close to a word of a label stands in it
_NUMBER = re.compile(r"^\s*(\d{1,3})\s*[.)]?\s*$")


@dataclass(frozen=True, slots=True)
class Guess:
    choice_id: str
    sure: bool


@lru_cache(maxsize=512)
def words(pipe_separated: str) -> frozenset[str]:
    """ "oui|o|ok" -> {"oui", "o", "ok"}, folded."""
    return frozenset(fold(w) for w in pipe_separated.split("|") if w.strip())


def guess_choice(
    text: str,
    choices: list[tuple[str, str]],  # (choice id, label in the person's language)
    lexicon: Lexicon | None = None,
    themed: list[Choice] | None = None,
) -> Guess | None:
    """The choice that typed text most likely means, and whether it is sure enough."""
    if m := _NUMBER.match(text):
        n = int(m.group(1))
        return Guess(choices[n - 1][0], True) if 1 <= n <= len(choices) else None
    folded = fold(text)
    if not folded:
        return None
    labels = [fold(label) for _id, label in choices]
    for (choice_id, _label), label in zip(choices, labels, strict=True):
        if folded in (label, choice_id.replace("_", " ")):
            return Guess(choice_id, True)
    found = process.extractOne(
        folded, labels, scorer=fuzz.WRatio, processor=None, score_cutoff=CLOSE
    )
    if found is not None:
        _label, score, idx = found
        # WRatio favours a long label that merely contains the text: sure only when both agree
        if score >= SURE and fuzz.ratio(folded, labels[idx]) >= SURE:
            return Guess(choices[idx][0], True)
    if lexicon is not None and themed:  # everyday words say more than a look-alike label
        need = lexicon.match(text)
        if need.unsure:
            for c in themed:
                if c.data.dont_know:
                    return Guess(c.id, False)
        for theme in need.themes:
            for c in themed:
                if theme in c.data.themes:
                    return Guess(c.id, False)
        if need.word is not None or found is None:
            return None  # a need no theme answers ("conduire"): the buttons, not a wrong guess
        # a label merely sharing a word ("apprendre à nager" ~ "Apprendre un métier") is no guess
        if not _every_word_fits(folded, labels[found[2]]):
            return None
    if found is not None:
        return Guess(choices[found[2]][0], False)
    return None


def _every_word_fits(folded: str, label: str) -> bool:
    """Every word of four letters or more typed stands, give or take a typo, in the label."""
    label_words = label.split()
    return all(
        any(fuzz.ratio(word, other) >= WORD_CLOSE for other in label_words)
        for word in folded.split()
        if len(word) > 3
    )


def parse_number(text: str) -> int | None:
    digits = re.sub(r"[\s.]", "", fold(text) if not text.isascii() else text)
    digits = re.sub(r"(ans?|years?)$", "", digits, flags=re.IGNORECASE)
    if digits.isascii() and digits.isdigit() and len(digits) <= 6:
        return int(digits)
    return number_in(text)


_DIGITS = re.compile(r"\d+")


def number_in(text: str) -> int | None:
    """The one number in a sentence: "j'ai 19 ans", "I am 19", "١٩", "۱۹ سال" -> 19.

    None when there is no number, or more than one ("19 ou 20"), or one of more than 3 digits.
    """
    found = _DIGITS.findall(fold(text))
    if len(found) != 1 or len(found[0]) > 3:
        return None
    return int(found[0])


def band_of(value: int, choices: list[Choice]) -> Choice | None:
    """The choice whose `ages` band holds the number."""
    for c in choices:
        if c.data.ages is not None and c.data.ages[0] <= value <= c.data.ages[1]:
            return c
    return None


def is_greeting(text: str, greetings: frozenset[str]) -> bool:
    """ "Bonjour", "salut !", "مرحبا", "привіт", "سلام" alone (with punctuation or an emoji)."""
    return bool(text) and fold(text) in greetings


_PHONE_JUNK = re.compile(r"[\s.\-/()]")


def parse_phone(text: str) -> str | None:
    """A phone number as volunteers can dial it, or None.

    French numbers in any usual spelling ("06 12 34 56 78", "06.12.34.56.78", "+33 6 12…",
    "0033612…", "33612…" as Telegram shares contacts) become "06 12 34 56 78"; other
    international numbers keep their "+" and digits.
    """
    raw = _PHONE_JUNK.sub("", text.strip())
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if raw.isdigit() and raw.startswith("33") and len(raw) == 11:
        raw = "+" + raw
    if raw.startswith("+33") and raw[3:].isdigit() and len(raw) == 12:
        raw = "0" + raw[3:]
    if raw.isdigit() and len(raw) == 10 and raw[0] == "0" and raw[1] != "0":
        return " ".join(raw[i : i + 2] for i in range(0, 10, 2))
    if raw.startswith("+") and raw[1:].isdigit() and 8 <= len(raw) - 1 <= 15 and raw[1] != "0":
        return raw
    if raw.isdigit() and 8 <= len(raw) <= 15 and not raw.startswith("0"):
        return "+" + raw  # a shared contact's number comes without its "+"
    return None
