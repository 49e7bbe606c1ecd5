"""Typed text on a step with buttons: a look-alike label is no guess, numbers in sentences."""

from __future__ import annotations

import pytest

from bot.catalogue.themes import Lexicon
from bot.dialogue.flow import Choice, ChoiceData
from bot.dialogue.understand import guess_choice, number_in, parse_number

CHOICES = [
    Choice(id="cook", label={"fr": "Apprendre la cuisine"}, data=ChoiceData(themes=["fle"])),
    Choice(id="screens", label={"fr": "Les écrans"}, data=ChoiceData(themes=["numerique"])),
]
LABELS = [(c.id, c.label["fr"]) for c in CHOICES]


@pytest.mark.parametrize("text", ["apprendre à nager", "apprendre à conduire", "la danse"])
def test_a_label_sharing_a_word_is_no_guess(lexicon: Lexicon, text: str) -> None:
    assert guess_choice(text, LABELS, lexicon, CHOICES) is None


@pytest.mark.parametrize(
    ("text", "choice"), [("apprendre la cuisin", "cook"), ("ecrans", "screens")]
)
def test_a_label_with_a_typo_is_still_guessed(lexicon: Lexicon, text: str, choice: str) -> None:
    guess = guess_choice(text, LABELS, lexicon, CHOICES)
    assert guess is not None and guess.choice_id == choice


@pytest.mark.parametrize(
    ("text", "value"),
    [("19", 19), ("j'ai 19 ans", 19), ("I am 19", 19), ("١٩", 19), ("۱۹ سال", 19), ("35 ans", 35)],
)
def test_a_number_in_a_sentence(text: str, value: int) -> None:
    assert number_in(text) == value
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["19 ou 20", "jsp", "", "1234"])
def test_no_single_number(text: str) -> None:
    assert number_in(text) is None
