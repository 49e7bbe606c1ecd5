"""The reasons a card shows: `Reasons` keeps their pieces and writes the same text as
`reason`, whatever was asked before."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.matching import Suggestion, Travel
from bot.reasons import Reasons, reason
from bot.resources import Resources
from tests.conftest import TODAY

LANGS = ("fr", "en", "ar", "uk", "fa")


def test_kept_pieces_give_the_same_reason(resources: Resources) -> None:
    msg = resources.messages
    offers = resources.catalogue.offers()[:12]
    rnd = random.Random(2)
    reasons = Reasons(msg)
    for _ in range(600):
        o = rnd.choice(offers)
        remote = rnd.random() < 0.2
        s = Suggestion(
            idx=0,
            offer=o,
            distance_km=None if remote else rnd.choice([0.4, 1.9, 2.0, 7.3, 35.2]),
            commune=None if remote else rnd.choice(["Guéret", "Pau", None]),
            start=rnd.choice([None, TODAY + timedelta(days=rnd.randrange(0, 400))]),
            score=1.0,
            beyond_reach=not remote and rnd.random() < 0.3,
        )
        place = rnd.choice(["Guéret", "Bordeaux"])
        lang = rnd.choice(LANGS)
        need = tuple(rnd.sample(sorted({t for o in offers for t in o.themes}), 2))
        travel = rnd.choice([None, *Travel])
        today = rnd.choice([TODAY, date(2027, 3, 1)])
        assert reasons(s, place, today, lang, need, travel) == reason(
            s, place, msg, today, lang, need, travel
        )


def test_a_full_memo_starts_again(resources: Resources, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Reasons, "KEPT", 2)
    reasons = Reasons(resources.messages)
    s = Suggestion(0, resources.catalogue.offers()[0], 3.0, "Guéret", None, 1.0)
    for km in (3.0, 9.0, 14.0, 3.0):
        far = replace(s, distance_km=km)
        text = reasons(far, "Guéret", TODAY, "fr", (), None)
        assert text == reason(far, "Guéret", resources.messages, TODAY)
        assert len(reasons._where) <= 2  # memory stays flat
