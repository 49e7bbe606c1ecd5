from __future__ import annotations

import pytest

from bot.catalogue.model import Theme
from bot.catalogue.themes import Lexicon


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("apprendre à lire", Theme.SAVOIRS_DE_BASE),
        ("apprendre a lire", Theme.SAVOIRS_DE_BASE),
        ("écrire", Theme.SAVOIRS_DE_BASE),
        ("ecrire", Theme.SAVOIRS_DE_BASE),
        ("les maths", Theme.SAVOIRS_DE_BASE),
        ("parler français", Theme.FLE),
        ("je veux aprendre le fransai", Theme.FLE),
        ("cours de francais svp", Theme.FLE),
        ("ordinateur", Theme.NUMERIQUE),
        ("ordinater", Theme.NUMERIQUE),
        ("l'ordi", Theme.NUMERIQUE),
        ("internet", Theme.NUMERIQUE),
        ("trouver un métier", Theme.PROJET_PRO),
        ("je cherche un boulot", Theme.PROJET_PRO),
        ("cuisine", Theme.PRE_QUALIFICATION),
        ("batiment", Theme.PRE_QUALIFICATION),
        ("chantier d'insertion", Theme.IAE),
        ("jardins du coeur", Theme.IAE),
        ("j'ai jamais été à l'école", Theme.ALPHABETISATION),
        ("fle", Theme.FLE),
        ("numerique", Theme.NUMERIQUE),
    ],
)
def test_everyday_words_reach_their_theme(lexicon: Lexicon, text: str, theme: Theme) -> None:
    match = lexicon.match(text)
    assert match.themes[0] is theme, (text, match)
    assert not match.unsure


@pytest.mark.parametrize(
    "text", ["je sais pas", "je ne sais pas", "jsp", "chais pas", "aucune idée"]
)
def test_i_dont_know_is_unsure(lexicon: Lexicon, text: str) -> None:
    match = lexicon.match(text)
    assert match.unsure
    assert match.themes  # still something to propose


@pytest.mark.parametrize("text", ["bla bla", "qwerty", "", "capable", "permis de conduire", "🙂"])
def test_nonsense_and_lookalikes_match_nothing(lexicon: Lexicon, text: str) -> None:
    assert not lexicon.match(text).found


def test_every_theme_has_a_label_in_french(lexicon: Lexicon) -> None:
    for theme in Theme:
        assert lexicon.label(theme)
