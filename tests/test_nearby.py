"""The cells a search visits: the same cells, in the same order, as every cell of the circle
with places of the themes asked, whether worked out from the circle or from the themes'
own cells, and kept per question."""

from __future__ import annotations

import random

import pytest

from bot.catalogue.gazetteer import Gazetteer, place_of
from bot.catalogue.index import Index
from bot.nearby import NearCells, Weights, cells_by_distance
from bot.resources import Resources

THEMES: Weights = (("fle", 1.0), ("savoirs_de_base", 0.7))


def expected(index: Index, lat: float, lon: float, radius: float, weights: Weights) -> list:
    """Every cell of the circle, nearest first, that holds places of these themes."""
    out = []
    for d_min, i, j in cells_by_distance(lat, lon, radius):
        groups = [(w, index.sites[(t, i, j)]) for t, w in weights if (t, i, j) in index.sites]
        if groups:
            out.append((d_min, groups))
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
            cells = NearCells(index).around(lat, lon, radius, weights)
            assert [(c.d_min, c.groups) for c in cells] == expected(
                index, lat, lon, radius, weights
            )


def test_a_theme_with_cells_everywhere_is_searched_from_the_circle(
    resources: Resources, gazetteer: Gazetteer
) -> None:
    """A small circle touches fewer cells than the themes hold: the circle's own cells."""
    index = resources.catalogue.index
    cells_of_themes = {(i, j) for t, i, j in index.sites if t in ("fle", "savoirs_de_base")}
    commune = next(c for c in gazetteer.communes if c.name == "Bordeaux")
    rows_cols = len(cells_by_distance(commune.lat, commune.lon, 3.0))
    assert len(cells_of_themes) > rows_cols  # else this test would not take that path
    near = NearCells(index)
    cells = near.around(commune.lat, commune.lon, 3.0, THEMES)
    assert [(c.d_min, c.groups) for c in cells] == expected(
        index, commune.lat, commune.lon, 3.0, THEMES
    )
    assert near.around(commune.lat, commune.lon, 3.0, THEMES) is cells  # kept


def test_a_cells_points_come_nearest_first_and_heaviest_theme_first(
    resources: Resources, gazetteer: Gazetteer
) -> None:
    place = place_of(next(c for c in gazetteer.communes if c.name == "Bordeaux"))
    for cell in NearCells(resources.catalogue.index).around(place.lat, place.lon, 40.0, THEMES):
        points = cell.points(place.lat, place.lon, 40.0)
        assert all(d <= 40.0 for d, _w, _here in points)
        keys = [(d, -w) for d, w, _here in points]
        assert keys == sorted(keys)
        assert cell.points(place.lat, place.lon, 40.0) is points  # worked out once
