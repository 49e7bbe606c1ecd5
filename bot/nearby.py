"""The map's cells around a place that hold offers of the themes asked, nearest first.

A search used to work out every cell a circle touches (up to 60 at 40 km) and look each one up
once per theme, though it mostly stops after the first two: the cells that matter were found
again on every turn. `NearCells` keeps them per question (place, reach, themes): only the cells
holding places of those themes, nearest first, each with its places' distances worked out the
first time the search reaches it. People are placed at a commune's centre, so the same few
questions come back all day. When the themes have fewer cells in the whole region than the
circle touches (a small catalogue), only their cells are looked at.
"""

from __future__ import annotations

from array import array
from math import cos, radians, sqrt

from bot.catalogue.index import KM_PER_DEG_LAT, LAT_CELL, LON_CELL, Index, cell_span
from bot.catalogue.model import Theme
from bot.catalogue.sites import Site
from bot.kept import Kept

# one point within reach: its distance in km, the weight of the theme it was found under, and
# its places' numbers
Near = tuple[float, float, "array[int]"]
# the themes of a question with their weights, heaviest first
Weights = tuple[tuple[Theme, float], ...]


class Cell:
    """One cell within reach: its least distance from the place, its places per theme asked
    (weight, points; heaviest theme first) and, once worked out, its points within reach."""

    __slots__ = ("d_min", "groups", "near")

    def __init__(self, d_min: float, groups: list[tuple[float, list[Site]]]) -> None:
        self.d_min = d_min
        self.groups = groups
        self.near: list[Near] | None = None

    def points(self, lat: float, lon: float, radius: float) -> list[Near]:
        """The cell's points within `radius` km, nearest first; at one point, the heaviest
        theme first (the order the search relies on: see Matcher._add_near)."""
        if (near := self.near) is None:
            kx = KM_PER_DEG_LAT * cos(radians(lat))
            found: list[tuple[float, int, float, array[int]]] = []
            for rank, (weight, sites) in enumerate(self.groups):
                for p_lat, p_lon, here in sites:
                    dx, dy = (p_lon - lon) * kx, (p_lat - lat) * KM_PER_DEG_LAT
                    d = sqrt(dx * dx + dy * dy)
                    if d <= radius:
                        found.append((d, rank, weight, here))
            found.sort(key=lambda f: (f[0], f[1]))  # stable: a theme's points stay in order
            near = self.near = [(d, weight, here) for d, _rank, weight, here in found]
        return near


class NearCells:
    """The cells to search for each question, kept (up to KEPT questions, then forgotten all
    at once: memory stays flat)."""

    KEPT = 2048

    def __init__(self, index: Index) -> None:
        self.index = index
        self._kept: Kept[tuple[float, float, float, Weights], list[Cell]] = Kept(self.KEPT)
        self._theme_cells: dict[Theme, list[tuple[int, int]]] | None = None

    def around(self, lat: float, lon: float, radius: float, weights: Weights) -> list[Cell]:
        key = (lat, lon, radius, weights)
        if (cells := self._kept.get(key)) is None:
            cells = self._kept.keep(key, self._cells(lat, lon, radius, weights))
        return cells

    def _cells(self, lat: float, lon: float, radius: float, weights: Weights) -> list[Cell]:
        sites = self.index.sites
        rows, cols = cell_span(lat, lon, radius)
        theme_cells = self._cells_of_themes()
        few = [ij for t, _w in weights for ij in theme_cells.get(t, ())]
        if len(few) < len(rows) * len(cols):  # a small catalogue: its own cells only
            candidates = sorted({(i, j) for i, j in few if i in rows and j in cols})
        else:
            candidates = [(i, j) for i in rows for j in cols]
        out: list[tuple[float, int, int, Cell]] = []
        for d_min, i, j in _distances(lat, lon, radius, candidates):
            groups = [(weight, found) for t, weight in weights if (found := sites.get((t, i, j)))]
            if groups:
                out.append((d_min, i, j, Cell(d_min, groups)))
        out.sort(key=lambda c: c[:3])
        return [c for *_key, c in out]

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
    out = _distances(lat, lon, radius, [(i, j) for i in rows for j in cols])
    out.sort()
    return out


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
