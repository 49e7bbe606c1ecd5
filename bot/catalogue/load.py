"""Load the catalogue from YAML, check it, and keep a compiled copy of each file.

Each offers file (a large one: each piece of it, see pieces.py) is compiled on its own (see
compile.py) and kept in the cache under a hash of its bytes, of the themes file, of the map it
was checked against and of the layout's version, its offers' texts in a file beside it; the
catalogue is the cheap merge of those parts (their arrays joined, their texts files mapped,
see records.py), its index itself kept under a hash of their names. An edit to one file
compiles that file again, and only that one.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot import cache
from bot.catalogue.checks import (
    EMPTY,
    NO_OFFERS,
    STALE_DAYS,
    duplicate,
    label_of,
    read_offers,
    stale_warnings,
)
from bot.catalogue.compile import Part, compile_file, compile_head, compile_text, compiled
from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.index import LAYOUT, Compact, Index, Row, SpotRow, offer_row
from bot.catalogue.model import Offer, Theme
from bot.catalogue.pieces import piece_text, split_offers
from bot.catalogue.records import Records
from bot.catalogue.themes import theme_names, themes_file
from bot.yamlsrc import DataError, Problem, Source

__all__ = [  # what other modules import from here, whatever module holds it now
    "EMPTY",
    "NO_OFFERS",
    "STALE_DAYS",
    "Catalogue",
    "compile_catalogue",
    "load_catalogue",
    "offer_files",
    "read_offers",
    "stale_warnings",
    "summary_line",
]

PART = "offers-part"  # the compiled copy of one offers file, or of one piece of it
PIECES = "offers-pieces"  # the names of a file's pieces
WHOLE = "catalogue"  # the merged catalogue
TEXTS = ".texts"  # beside a piece, its offers' JSON texts end to end
MODELS_KEPT = 4096  # offers kept as models once shown (each is 10-30 µs to make again)


class Catalogue:
    """Validated offers and their index.

    Each offer is kept as its JSON text and turned into a model only when shown: a pickle of
    50,000 short strings loads many times faster, and in less memory, than as many models.
    """

    def __init__(self, records: Sequence[bytes], index: Index, problems: list[Problem]) -> None:
        self.records = records
        self.index = index
        self.problems = problems  # warnings kept at load time
        self.compiled: list[str] = []  # the files compiled by this load (the others: cached)
        self._models: dict[int, Offer] = {}
        self._by_id: dict[str, int] | None = None

    def __getstate__(self) -> tuple[Sequence[bytes], Index, list[Problem]]:
        return self.records, self.index, self.problems

    def __setstate__(self, state: tuple[Sequence[bytes], Index, list[Problem]]) -> None:
        self.__init__(*state)  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.records)

    def offer(self, idx: int) -> Offer:
        if (model := self._models.get(idx)) is None:
            if len(self._models) >= MODELS_KEPT:  # the oldest made goes: memory stays flat
                del self._models[next(iter(self._models))]
            model = self._models[idx] = Offer.model_validate_json(self.records[idx])
        return model

    def by_id(self, offer_id: str) -> Offer | None:
        if self._by_id is None:
            self._by_id = {oid: idx for idx, oid in enumerate(self.index.ids)}
        idx = self._by_id.get(offer_id)
        return None if idx is None else self.offer(idx)

    def offers(self) -> list[Offer]:
        return [self.offer(i) for i in range(len(self.records))]

    def compact(self, idx: int) -> Compact:
        return self.index.compact(idx)


@dataclass
class _Saved:
    """The merged catalogue as kept in the cache; its offers' texts are the pieces' files."""

    index: Index
    problems: list[Problem]
    ends: array[int]
    firsts: array[int]
    texts: list[str]  # the file of each segment of the records, in the cache


@dataclass
class _Stored:
    """A compiled piece as kept in the cache, beside the file of its offers' texts."""

    part: Part  # its records left out
    ends: array[int]


def offer_files(directory: Path) -> list[Path]:
    return sorted((directory / "offers").rglob("*.yaml"))


def load_catalogue(
    directory: Path, gazetteer: Gazetteer, cache_dir: Path | None = None, use_cache: bool = True
) -> Catalogue:
    """The catalogue in `directory`, each file from its compiled copy when it did not change.

    Raises DataError with every error found (never a half-loaded catalogue).
    """
    files = offer_files(directory)
    themes = themes_file(directory)
    names = theme_names(themes)
    if not use_cache:
        return merge([compile_file(f, directory, gazetteer, names) for f in files])
    store = cache_dir or cache.default_cache_dir()
    # what a file's compiled copy depends on besides its bytes: the themes, the map
    depends = b"%d:" % LAYOUT + _read(themes) + gazetteer_key(gazetteer).encode()
    keys = [cache.key_of(label_of(f, directory).encode(), _read(f), depends) for f in files]
    whole = store / f"{WHOLE}-{cache.key_of(*(k.encode() for k in keys))}.pickle"
    if (saved := cache.read(whole, _Saved)) is not None and (
        records := Records.mapped([store / n for n in saved.texts], saved.ends, saved.firsts)
    ) is not None:
        return Catalogue(records, saved.index, saved.problems)
    parts: list[Part] = []
    compiled: list[str] = []
    kept: set[Path] = set()
    for path, key in zip(files, keys, strict=True):
        listing = store / f"{PIECES}-{key}.pickle"  # the names of an unchanged file's pieces
        kept.add(listing)
        if (known := cache.read(listing, list)) is not None:
            found = [_read_part(store / f"{PART}-{k}.pickle") for k in known]
            if all(found):  # no need to cut the file into pieces again
                kept.update(p for k in known for p in _part_files(store / f"{PART}-{k}.pickle"))
                parts += [part for part in found if part is not None]
                continue
        piece_keys = []
        for piece_key, build in _jobs(path, directory, key, depends, gazetteer, names):
            part_path = store / f"{PART}-{piece_key}.pickle"
            kept.update(_part_files(part_path))
            piece_keys.append(piece_key)
            if (part := _read_part(part_path)) is None:
                part = _write_part(part_path, build())
                compiled.append(part.label)
            parts.append(part)
        cache.write(listing, piece_keys)
    cache.prune(store, PART, kept)
    cache.prune(store, PART, kept, TEXTS)
    cache.prune(store, PIECES, kept)
    with cache.gc_paused():
        catalogue = merge(parts)  # raises on an error: the parts stay, the whole is not written
    own = whole.with_suffix(TEXTS)
    cache.prune(store, WHOLE, {whole})
    cache.prune(store, WHOLE, {own}, TEXTS)
    got = catalogue.records if isinstance(catalogue.records, Records) else None
    if got is not None and not all(got.paths):  # a piece lost offers to a duplicate
        whole_texts = Records.of(got)
        got = Records.mapped([own], whole_texts.ends) if whole_texts.write(own) else None
    if got is not None and all(got.paths):  # every text is in a file of the cache
        texts = [p.name for p in got.paths if p is not None]
        saved = _Saved(catalogue.index, catalogue.problems, got.ends, got.firsts, texts)
        cache.write(whole, saved)
    catalogue.compiled = compiled
    return catalogue


def _part_files(path: Path) -> tuple[Path, Path]:
    return path, path.with_suffix(TEXTS)


def _read_part(path: Path) -> Part | None:
    """A compiled piece from the cache, its texts mapped; None if it is not all there."""
    if (stored := cache.read(path, _Stored)) is None:
        return None
    records = Records.mapped([path.with_suffix(TEXTS)], stored.ends)
    return None if records is None else replace(stored.part, records=records)


def _write_part(path: Path, part: Part) -> Part:
    """Keep a compiled piece in the cache (its texts first); the part, its texts mapped from
    their file when they could be written."""
    texts = path.with_suffix(TEXTS)
    if not part.records.write(texts):
        return part
    cache.write(path, _Stored(replace(part, records=Records.of(())), part.records.ends))
    return replace(part, records=Records.mapped([texts], part.records.ends) or part.records)


def _jobs(
    path: Path,
    root: Path,
    key: str,
    depends: bytes,
    gazetteer: Gazetteer,
    themes: frozenset[Theme],
) -> list[tuple[str, Callable[[], Part]]]:
    """The compiled pieces of one file: (name in the cache, how to compile it). A large file
    is cut into pieces of its offers (see pieces.py), keyed by their own text; others whole."""
    label = label_of(path, root)
    try:
        split = split_offers(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        split = None  # compiling it whole names the problem
    if split is None:
        return [(key, lambda: compile_file(path, root, gazetteer, themes))]
    head, pieces = split
    jobs: list[tuple[str, Callable[[], Part]]] = [
        (cache.key_of(label.encode(), b"head", head.encode()), lambda: compile_head(head, label))
    ]
    for first, piece in pieces:
        text = piece_text(first, piece)
        piece_key = cache.key_of(label.encode(), str(first).encode(), piece.encode(), depends)
        jobs.append(
            (piece_key, lambda t=text: compile_text(t, label, gazetteer, themes))  # type: ignore[misc]
        )
    return jobs


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # a missing themes file: reading it again names the problem


def gazetteer_key(gazetteer: Gazetteer) -> str:
    """A hash of what the checks and the coordinates read from the map."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((gazetteer.communes, sorted(gazetteer.departments.items()))).encode())
    if gazetteer.other_path is not None:
        digest.update(_read(gazetteer.other_path))
    return digest.hexdigest()


def merge(parts: list[Part]) -> Catalogue:
    """The catalogue made of compiled files, in order; an id seen in an earlier file wins.

    Raises DataError with every error of every file."""
    if errors := [p for part in parts for p in part.problems if not p.warning]:
        raise DataError(errors)
    warnings = [p for part in parts for p in part.problems]
    seen: dict[str, int] = {}  # each id: the number of the part it was first met in
    lines: dict[int, dict[str, int]] = {}  # a part's line of each id, once a duplicate asks
    kept: list[Part] = []
    for n, part in enumerate(parts):
        ids = part.index.ids
        if seen.keys().isdisjoint(ids):  # no id met before (the usual case): all at once
            seen.update(dict.fromkeys(ids, n))
            kept.append(part)
            continue
        left_out: set[int] = set()
        for local, offer_id in enumerate(ids):
            if (first := seen.get(offer_id)) is not None:
                if first not in lines:  # reversed: an id twice in a part names its first line
                    at = parts[first]
                    lines[first] = dict(zip(at.index.ids[::-1], at.id_lines[::-1], strict=True))
                where = (parts[first].label, lines[first][offer_id])
                message = duplicate(offer_id, *where)
                warnings.append(Problem(part.label, part.id_lines[local], message, True))
                left_out.add(local)
                continue
            seen[offer_id] = n
        kept.append(part.without(left_out))
    records = Records.concat([part.records for part in kept])
    return Catalogue(records, Index.concat([(part.index, part.sites) for part in kept]), warnings)


def compile_catalogue(
    offers: list[tuple[Offer, Source, int]], gazetteer: Gazetteer, warnings: list[Problem]
) -> Catalogue:
    records: list[bytes] = []
    rows: list[Row] = []
    spots: list[SpotRow] = []
    for idx, (offer, _source, _i) in enumerate(offers):
        record, placed = compiled(offer, idx, gazetteer)
        records.append(record)
        spots += placed
        rows.append(offer_row(offer))
    return Catalogue(records, Index.build(rows, spots), warnings)


def summary_line(catalogue: Catalogue, gazetteer: Gazetteer) -> str:
    """ "152 offers · by department: 16: 12, … · by theme: fle: 30, …"."""
    by_dep: Counter[str] = Counter()
    by_theme: Counter[str] = Counter()
    for idx, offer in enumerate(catalogue.offers()):
        communes = (gazetteer.by_insee(p.insee) for p in offer.places)
        deps = {c.department for c in communes if c is not None}
        for dep in deps or {"remote"}:
            by_dep[dep] += 1
        for theme in catalogue.index.offer_themes(idx):
            by_theme[theme] += 1
    deps_text = ", ".join(f"{d}: {n}" for d, n in sorted(by_dep.items()))
    themes_text = ", ".join(f"{t}: {n}" for t, n in sorted(by_theme.items()))
    return f"{len(catalogue)} offers · by department: {deps_text} · by theme: {themes_text}"
