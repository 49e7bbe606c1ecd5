"""The map's cells around a place that hold offers of the themes asked, nearest first.

A search used to work out every cell a circle touches (up to 60 at 40 km) and each visited
cell's points on every turn, though the cells and their points are the same for the same
question. `NearCells` keeps them per question (place, reach, themes): the cells nearest first,
each with its points within reach worked out the first time the search reaches it. People are
placed at a commune's centre, so the same questions come back all day. When the themes have
fewer cells in the whole region than the circle touches (a small catalogue), only their cells
are listed.
"""

from __future__ import annotations

from array import array
from math import cos, radians, sqrt

from bot.catalogue.index import KM_PER_DEG_LAT, LAT_CELL, LON_CELL, Index, cell_span
from bot.catalogue.model import Theme
from bot.catalogue.sites import Site, SiteKey
from bot.kept import Kept

# one point within reach: its distance in km, the weight of the theme it was found under, and
# its places' numbers
Near = tuple[float, float, "array[int]"]
# the themes of a question with their weights, heaviest first
Weights = tuple[tuple[Theme, float], ...]


class Around:
    """The cells one question searches: those a circle touches (or, for a small catalogue,
    those of its themes that it touches), nearest first, and each cell's points within reach,
    worked out the first time the search reaches the cell."""

    __slots__ = ("_lat", "_lon", "_near", "_radius", "_sites", "_weights", "cells")

    def __init__(
        self,
        sites: dict[SiteKey, list[Site]],
        lat: float,
        lon: float,
        radius: float,
        weights: Weights,
        cells: list[tuple[float, int, int]],
    ) -> None:
        self.cells = cells  # (least distance from the place, row, column), nearest first
        self._sites, self._lat, self._lon, self._radius = sites, lat, lon, radius
        self._weights = weights
        self._near: dict[tuple[int, int], list[Near]] = {}

    def points(self, i: int, j: int) -> list[Near]:
        """The cell's points within reach, nearest first; at one point, the heaviest theme
        first (the order the search relies on: see Matcher._add_near)."""
        if (near := self._near.get((i, j))) is None:
            lat, lon, radius = self._lat, self._lon, self._radius
            kx = KM_PER_DEG_LAT * cos(radians(lat))
            found: list[tuple[float, int, float, array[int]]] = []
            for rank, (theme, weight) in enumerate(self._weights):
                for p_lat, p_lon, here in self._sites.get((theme, i, j), ()):
                    dx, dy = (p_lon - lon) * kx, (p_lat - lat) * KM_PER_DEG_LAT
                    d = sqrt(dx * dx + dy * dy)
                    if d <= radius:
                        found.append((d, rank, weight, here))
            found.sort(key=lambda f: (f[0], f[1]))  # stable: a theme's points stay in order
            near = self._near[(i, j)] = [(d, weight, here) for d, _rank, weight, here in found]
        return near


class NearCells:
    """The cells to search for each question, kept (up to KEPT questions, then forgotten all
    at once: memory stays flat)."""

    KEPT = 2048

    def __init__(self, index: Index) -> None:
        self.index = index
        self._kept: Kept[tuple[float, float, float, Weights], Around] = Kept(self.KEPT)
        self._theme_cells: dict[Theme, list[tuple[int, int]]] | None = None

    def around(self, lat: float, lon: float, radius: float, weights: Weights) -> Around:
        key = (lat, lon, radius, weights)
        if (found := self._kept.get(key)) is None:
            cells = self._cells(lat, lon, radius, weights)
            found = self._kept.keep(key, Around(self.index.sites, *key, cells))
        return found

    def _cells(
        self, lat: float, lon: float, radius: float, weights: Weights
    ) -> list[tuple[float, int, int]]:
        rows, cols = cell_span(lat, lon, radius)
        theme_cells = [self._cells_of_themes().get(t, []) for t, _w in weights]
        if sum(map(len, theme_cells)) >= len(rows) * len(cols):
            return cells_by_distance(lat, lon, radius)
        # a small catalogue: only its themes' cells that the circle touches
        candidates = sorted({ij for found in theme_cells for ij in found})
        candidates = [(i, j) for i, j in candidates if i in rows and j in cols]
        return sorted(_distances(lat, lon, radius, candidates))

    def _cells_of_themes(self) -> dict[Theme, list[tuple[int, int]]]:
        if self._theme_cells is None:
            found: dict[Theme, list[tuple[int, int]]] = {}
            for theme, i, j in self.index.sites:
                found.setdefault(theme, []).append((i, j))
            self._theme_cells = found
        return self._theme_cells


def cells_by_distance(lat: float, lon: float, radius: float) -> list[tuple[float, int, int]]:
    """The cells a circle may touch, with the smallest distance from the centre to each."""
    rows, cols = cell_span(lat, lon, radius)
    return sorted(_distances(lat, lon, radius, [(i, j) for i in rows for j in cols]))


def _distances(
    lat: float, lon: float, radius: float, cells: list[tuple[int, int]]
) -> list[tuple[float, int, int]]:
    """These cells' least distances from the point, those within `radius` only."""
    kx = KM_PER_DEG_LAT * cos(radians(lat))
    r2 = radius * radius
    out = []
    for i, j in cells:
        dy = _gap(lat, i * LAT_CELL, (i + 1) * LAT_CELL) * KM_PER_DEG_LAT
        dx = _gap(lon, j * LON_CELL, (j + 1) * LON_CELL) * kx
        if dy * dy + dx * dx <= r2:
            out.append((sqrt(dy * dy + dx * dx), i, j))
    return out


def _gap(x: float, low: float, high: float) -> float:
    """How far x lies outside [low, high] (0 inside)."""
    return low - x if x < low else x - high if x > high else 0.0
