"""Write imported offers into the catalogue: deterministic YAML, swapped in at the end.

Shared by the LHEO and the data·inclusion imports, each owning its family of files. Same input,
same bytes: offers are sorted by id within one file per department (`lheo-23.yaml`, remote
ones in `lheo-remote.yaml`; `data-inclusion-23.yaml`…). Nothing is written until the whole file was
read; new files are written in a temporary folder, then moved into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.model import Offer
from bot.yamlsrc import TextDateLoader

# `.<family>-index.json` holds what the last import wrote: re-imports compare without parsing
HEADER = (
    "# Imported from LHEO by `repere catalogue import-lheo`, one offer per line (JSON is YAML).\n"
    "# Do not edit by hand: the next import replaces this file. Edit the source (Carif-Oref).\n"
)


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def offer_yaml(offer: Offer) -> bytes:
    """One offer as one YAML line: a list item holding a flow mapping, in pydantic's JSON.

    JSON is YAML, so the catalogue's loader reads it as it reads hand-written offers; pydantic
    writes it in Rust, where a Python block emitter cost a third of an import's time. Only the
    fields the import set are written, in the model's order. One offer per line also makes a
    re-import's diff show exactly the offers that changed. Bytes (UTF-8) from end to end: the
    line is hashed and written as pydantic made it.
    """
    return _line(offer.__pydantic_serializer__.to_json(offer, exclude_unset=True))


# Characters JSON leaves as they are but YAML 1.1 reads as line breaks (folded into spaces).
_BREAKS = {c.encode(): f"\\u{ord(c):04x}".encode() for c in ("\u0085", "\u2028", "\u2029")}


def _line(text: bytes) -> bytes:
    if not text.isascii():
        for char, escaped in _BREAKS.items():
            if char in text:  # a plain substring search: far quicker than a regex here
                text = text.replace(char, escaped)
    return b"- " + text + b"\n"


class Row(NamedTuple):
    """One imported offer, ready to be written: made where the offer is read (in a worker)."""

    department: str  # "23", or "remote" for an offer with no place
    id: str
    text: bytes  # its YAML line, in UTF-8
    digest: str  # of that line: a re-import compares these


def offer_row(offer: Offer, gazetteer: Gazetteer) -> Row:
    text = offer_yaml(offer)
    return Row(department_of(offer, gazetteer), offer.id, text, _digest(text))


def json_row(department: str, offer_id: str, json_text: bytes) -> Row:
    """The row of an offer already written as pydantic's JSON of its set fields (the bytes
    `offer_yaml` would make of it), for an import that builds that JSON without the model."""
    text = _line(json_text)
    return Row(department, offer_id, text, _digest(text))


def first_error(exc: ValidationError) -> str:
    """Why an imported record is not an offer, in one line: the first field and its error."""
    first = exc.errors(include_url=False)[0]
    return ".".join(str(p) for p in first["loc"]) + ": " + first["msg"]


def department_of(offer: Offer, gazetteer: Gazetteer) -> str:
    for place in offer.places:
        commune = gazetteer.by_insee(place.insee)
        if commune is not None:
            return commune.department
    return "remote"


def write_offers(
    rows: Iterable[Row],
    offers_dir: Path,
    family: str = "lheo",
    header: str = HEADER,
    text_of: Callable[[Row], bytes] | None = None,
) -> Changes:
    """Rows -> one `<family>-*.yaml` file per department under `offers_dir`; what changed.

    Only that family's files are replaced (and its index, `.<family>-index.json`). `text_of`
    gives a row's line when the rows do not hold it (kept on disk while importing)."""
    line = text_of or _text
    index_name = f".{family}-index.json"
    by_dep: dict[str, list[Row]] = {}
    for row in rows:
        by_dep.setdefault(row.department, []).append(row)
    before = _existing(offers_dir, family)  # id -> digest of the line an earlier import wrote
    offers_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{family}-", dir=offers_dir.parent))
    try:
        after: dict[str, str] = {}  # id -> digest
        for dep, items in sorted(by_dep.items()):
            items.sort(key=_by_id)
            department = f"department: '{dep}'\n" if dep != "remote" else "department: all\n"
            head = (header + department + "offers:\n").encode()
            (tmp / f"{family}-{dep}.yaml").write_bytes(head + b"".join(map(line, items)))
            after.update((row.id, row.digest) for row in items)
        (tmp / index_name).write_text(json.dumps(after), encoding="utf-8")  # in file order
        for old in [*offers_dir.glob(f"{family}-*.yaml"), offers_dir / index_name]:
            if old.exists() and not (tmp / old.name).exists():
                old.unlink()
        for new in sorted(tmp.iterdir()):
            os.replace(new, offers_dir / new.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    changes = Changes()
    for offer_id, digest in after.items():
        if offer_id not in before:
            changes.added.append(offer_id)
        elif before[offer_id] != digest:
            changes.updated.append(offer_id)
        else:
            changes.unchanged += 1
    changes.removed = sorted(set(before) - set(after))
    return changes


def _text(row: Row) -> bytes:
    return row.text


def _by_id(row: Row) -> str:
    return row.id


def _digest(line: bytes) -> str:
    """A fingerprint to tell a changed offer (SHA-1 through OpenSSL: several times quicker
    than this Python's own BLAKE2; nothing here needs to resist an attacker)."""
    return hashlib.sha1(line, usedforsecurity=False).hexdigest()[:24]


def _existing(offers_dir: Path, family: str = "lheo") -> dict[str, str]:
    """What earlier imports wrote, by id: from their index, else (hand-edited) from the YAML."""
    index = offers_dir / f".{family}-index.json"
    files = sorted(offers_dir.glob(f"{family}-*.yaml"))
    if index.exists() and all(p.stat().st_mtime <= index.stat().st_mtime for p in files):
        return dict(json.loads(index.read_text(encoding="utf-8")))
    known: dict[str, str] = {}
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=TextDateLoader) or {}
        for item in data.get("offers") or []:
            if isinstance(item, dict) and "id" in item:
                known[str(item["id"])] = _digest(_as_written(item))
    return known


def _as_written(item: dict[str, Any]) -> bytes:
    """An item read back from YAML, as an import would write it (a broken one: as it is)."""
    try:
        return offer_yaml(Offer.model_validate(item))
    except ValidationError:
        return _line(json.dumps(item, ensure_ascii=False, sort_keys=True, default=str).encode())
