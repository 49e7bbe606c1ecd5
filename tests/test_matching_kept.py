"""What the matcher keeps between questions (cells, distances, dates) never changes an answer:
a matcher that has answered many questions answers each as a fresh one does."""

from __future__ import annotations

import random
from datetime import timedelta

from bot.catalogue.gazetteer import Gazetteer, place_of
from bot.matching import TRAVEL_REACH_KM, Matcher, Profile, Travel
from bot.resources import Resources
from tests.conftest import TODAY


def test_a_busy_matcher_answers_as_a_fresh_one(resources: Resources, gazetteer: Gazetteer) -> None:
    catalogue = resources.catalogue
    themes = sorted(catalogue.index.by_theme)
    rnd = random.Random(9)
    communes = rnd.sample(gazetteer.communes, 25)  # a few places, asked again and again
    busy = Matcher(catalogue)
    for n in range(400):
        travel = rnd.choice(list(Travel))
        profile = Profile(
            place_of(rnd.choice(communes)),
            tuple(rnd.sample(themes, rnd.choice([1, 2, 3]))),
            age=rnd.choice([None, 17, 30, 60]),
            jobseeker=rnd.choice([None, True, False]),
            rsa=rnd.choice([None, False]),
            radius_km=TRAVEL_REACH_KM[travel],
            travel=travel,
        )
        today = TODAY + timedelta(days=(n // 100) * 60)  # the days' memos start again
        limit = rnd.choice([3, 4, 7])
        assert busy.suggest(profile, today, limit) == Matcher(catalogue).suggest(
            profile, today, limit
        )
