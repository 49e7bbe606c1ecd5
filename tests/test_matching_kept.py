"""What the matcher keeps between questions (cells, distances, dates) never changes an answer:
a matcher that has answered many questions answers each as a fresh one does."""

from __future__ import annotations

import random
from datetime import timedelta
from math import cos, radians, sqrt
from pathlib import Path

import pytest

from bench.synth import ensure_synthetic
from bot import scoring
from bot.catalogue.gazetteer import Gazetteer, place_of
from bot.catalogue.index import KM_PER_DEG_LAT
from bot.catalogue.load import load_catalogue
from bot.matching import THEME_WEIGHTS, TRAVEL_REACH_KM, Matcher, Profile, Travel
from bot.ranking import Top
from bot.resources import Resources
from bot.scoring import Query
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


@pytest.mark.parametrize("ranked", [3, scoring.RANKED])
def test_the_scan_within_reach_finds_the_top_of_every_place_within_reach(
    tmp_path: Path, gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch, ranked: int
) -> None:
    """The scan within reach takes shortcuts (nearest cells first, a point's places best first
    by date, each stopping once nothing after can enter the top): its top is the top of every
    place within reach, each scored. A dense synthetic catalogue, where the shortcuts cut most."""
    monkeypatch.setattr(scoring, "RANKED", ranked)  # 3: most points have places after the head
    directory = ensure_synthetic(tmp_path, 3000)
    catalogue = load_catalogue(directory, gazetteer, cache_dir=tmp_path / "cache")
    index = catalogue.index
    themes = sorted(index.by_theme)
    rnd = random.Random(4)
    busy = Matcher(catalogue)
    big = [c for c in gazetteer.communes if c.name in ("Bordeaux", "Limoges", "Pau", "Mérignac")]
    for n in range(300):
        commune = rnd.choice(big) if n % 2 else rnd.choice(gazetteer.communes)
        radius = rnd.choice([3.0, 10.0, 25.0, 40.0])
        profile = Profile(
            place_of(commune),
            tuple(rnd.sample(themes, rnd.choice([1, 2, 3]))),
            age=rnd.choice([None, 17, 30]),
            jobseeker=rnd.choice([None, False]),
            radius_km=radius,
        )
        today = (TODAY + timedelta(days=(n // 100) * 45)).toordinal()
        weights = {t: THEME_WEIGHTS[min(i, 2)] for i, t in enumerate(profile.themes)}
        limit = rnd.choice([3, 4, 7])
        busy.scoring.new_day(today)
        query = Query(profile.age, profile.jobseeker, profile.rsa, weights, busy._bits)
        found = Top(limit)
        busy._add_near(profile, query, weights, radius, found)
        every = Top(limit)  # every place of these themes within reach, none skipped
        lat, lon = commune.lat, commune.lon
        kx = KM_PER_DEG_LAT * cos(radians(lat))
        for t in profile.themes:
            for s in index.by_theme.get(t, ()):
                dx = (index.spot_lon[s] - lon) * kx
                dy = (index.spot_lat[s] - lat) * KM_PER_DEG_LAT
                d = sqrt(dx * dx + dy * dy)
                if d <= radius:
                    busy.scoring.consider(query, d / max(radius, 1.0), s, d, every)
        assert [c[:2] for c in found.top()] == [c[:2] for c in every.top()]
