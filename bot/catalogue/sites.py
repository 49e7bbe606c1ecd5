"""Places grouped by (theme, map cell) and point, flattened into arrays for the cache.

The index's grid (`Index.sites`) is a dict of lists of (lat, lon, numbers): a compiled piece of
2,000 offers holds about a thousand of them, and 150 pieces' worth took a second to unpickle
after an edit. A piece keeps the same grid as a few arrays instead; joining the pieces regroups
their points by key, one step per point of each piece, never one per offer.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

# (theme, row, column) of a cell, and the places at one point of it: lat, lon, their numbers
SiteKey = tuple[str, int, int]
Site = tuple[float, float, "array[int]"]


@dataclass
class FlatSites:
    """Site n of a piece: its key (theme number among the piece's themes, row, column), its
    point, and its places' numbers spots[ends[n - 1]:ends[n]]."""

    theme: array[int] = field(default_factory=lambda: array("B"))
    row: array[int] = field(default_factory=lambda: array("i"))
    col: array[int] = field(default_factory=lambda: array("i"))
    lat: array[float] = field(default_factory=lambda: array("d"))
    lon: array[float] = field(default_factory=lambda: array("d"))
    ends: array[int] = field(default_factory=lambda: array("I"))
    spots: array[int] = field(default_factory=lambda: array("I"))

    @classmethod
    def of(cls, sites: dict[SiteKey, list[Site]], themes: list[str]) -> FlatSites:
        flat = cls()
        number = {t: n for n, t in enumerate(themes)}
        for (theme, i, j), points in sites.items():
            for lat, lon, found in points:
                flat.theme.append(number[theme])
                flat.row.append(i)
                flat.col.append(j)
                flat.lat.append(lat)
                flat.lon.append(lon)
                flat.spots += found
                flat.ends.append(len(flat.spots))
        return flat


def join_sites(
    pieces: Sequence[tuple[FlatSites, list[str], int]],
) -> dict[SiteKey, list[Site]]:
    """The grid of pieces laid end to end: (sites, the piece's themes, its first place's
    number in the whole) each. Keys and points in order of first appearance, each point's
    places in order: what building the grid over all places at once gives."""
    # one dict over (theme, row, column, lat, lon): one look-up for each point of each piece
    grouped: dict[tuple[str, int, int, float, float], list[array[int]]] = {}
    for flat, themes, base in pieces:
        spots = flat.spots if not base else array("I", [s + base for s in flat.spots])
        start = 0
        for t, i, j, lat, lon, end in zip(
            flat.theme, flat.row, flat.col, flat.lat, flat.lon, flat.ends, strict=True
        ):
            site = (themes[t], i, j, lat, lon)
            if (at := grouped.get(site)) is None:
                grouped[site] = [spots[start:end]]
            else:
                at.append(spots[start:end])
            start = end
    sites: dict[SiteKey, list[Site]] = {}
    for (theme, i, j, lat, lon), found in grouped.items():
        if (here := sites.get((theme, i, j))) is None:
            sites[(theme, i, j)] = [(lat, lon, joined(found))]
        else:
            here.append((lat, lon, joined(found)))
    return sites


def joined(arrays: list[array[int]]) -> array[int]:
    """These arrays end to end (the first one itself when it is alone)."""
    if len(arrays) == 1:
        return arrays[0]
    out = array(arrays[0].typecode)
    for numbers in arrays:
        out += numbers
    return out
