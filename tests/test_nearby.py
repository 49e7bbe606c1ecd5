"""The cells a search visits: the same cells, in the same order, as every cell of the circle
with places of the themes asked, whether worked out from the circle or from the themes'
own cells, and kept per question."""

from __future__ import annotations

import random
from math import cos, radians, sqrt

import pytest

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.index import KM_PER_DEG_LAT, Index
from bot.nearby import Around, NearCells, Weights, cells_by_distance
from bot.resources import Resources

THEMES: Weights = (("fle", 1.0), ("savoirs_de_base", 0.7))


def expected(index: Index, lat: float, lon: float, radius: float, weights: Weights) -> list:
    """Every cell of the circle holding places of these themes within reach, nearest first,
    with those points (nearest first, the heaviest theme first at one point)."""
    kx = KM_PER_DEG_LAT * cos(radians(lat))
    out = []
    for d_min, i, j in cells_by_distance(lat, lon, radius):
        points = []
        for rank, (t, w) in enumerate(weights):
            for p_lat, p_lon, here in index.sites.get((t, i, j), ()):
                d = sqrt(((p_lon - lon) * kx) ** 2 + ((p_lat - lat) * KM_PER_DEG_LAT) ** 2)
                if d <= radius:
                    points.append((round(d, 9), rank, w, list(here)))
        if points:
            points.sort(key=lambda p: (p[0], p[1]))
            out.append((d_min, i, j, [(d, w, here) for d, _r, w, here in points]))
    return out


def searched(around: Around) -> list:
    """The cells a search would walk, with points, as `expected` lists them."""
    out = []
    for d_min, i, j in around.cells:
        points = [(round(d, 9), w, list(here)) for d, w, here in around.points(i, j)]
        if points:
            out.append((d_min, i, j, points))
    return out


@pytest.mark.parametrize("radius", [3.0, 10.0, 25.0, 40.0, 120.0])
def test_the_cells_kept_are_those_of_the_circle_in_order(
    resources: Resources, gazetteer: Gazetteer, radius: float
) -> None:
    index = resources.catalogue.index
    rnd = random.Random(5)
    communes = rnd.sample(gazetteer.communes, 40)
    for commune in communes:
        lat, lon = commune.lat, commune.lon
        for weights in (THEMES, THEMES[:1], (("numerique", 1.0),)):
            around = NearCells(index).around(lat, lon, radius, weights)
            assert searched(around) == expected(index, lat, lon, radius, weights)


def test_a_theme_with_cells_everywhere_is_searched_from_the_circle(
    resources: Resources, gazetteer: Gazetteer
) -> None:
    """A small circle touches fewer cells than the themes hold: the circle's own cells."""
    index = resources.catalogue.index
    cells_of_themes = {(i, j) for t, i, j in index.sites if t in ("fle", "savoirs_de_base")}
    commune = next(c for c in gazetteer.communes if c.name == "Bordeaux")
    circle = cells_by_distance(commune.lat, commune.lon, 3.0)
    assert len(cells_of_themes) > len(circle)  # else this test would not take that path
    near = NearCells(index)
    around = near.around(commune.lat, commune.lon, 3.0, THEMES)
    assert around.cells == circle
    assert searched(around) == expected(index, commune.lat, commune.lon, 3.0, THEMES)
    assert near.around(commune.lat, commune.lon, 3.0, THEMES) is around  # kept
    i, j = circle[0][1:]
    assert around.points(i, j) is around.points(i, j)  # worked out once
