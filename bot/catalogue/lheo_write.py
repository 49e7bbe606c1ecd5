"""Write imported LHEO offers into the catalogue: deterministic YAML, swapped in at the end.

Same input, same bytes: offers are sorted by id within one file per department
(`lheo-23.yaml`, remote ones in `lheo-remote.yaml`). Nothing is written until the whole file was
read; new files are written in a temporary folder, then moved into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.model import Offer
from bot.yamlsrc import TextDateLoader

INDEX = ".lheo-index.json"  # what the last import wrote: re-imports compare without parsing
HEADER = (
    "# Imported from LHEO by `repere catalogue import-lheo`: do not edit by hand, the next\n"
    "# import replaces this file. Edit the source feed (Carif-Oref) instead.\n"
)


@dataclass
class Changes:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def offer_yaml(offer: Offer) -> str:
    """One offer as a YAML list item, in the catalogue's block layout.

    Written by hand rather than by PyYAML, whose representer is pure Python and was half of
    an import's time: strings are double-quoted JSON strings, which YAML reads as they are.
    """
    return _item(offer.model_dump(mode="json", exclude_defaults=True))


def _item(data: dict[str, Any]) -> str:
    lines: list[str] = []
    _mapping(data, 0, lines, "- ")
    return "\n".join(lines) + "\n"


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if text.isprintable():  # the common case, without json.dumps's machinery
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return json.dumps(text, ensure_ascii=False)


def _mapping(data: dict[str, Any], indent: int, lines: list[str], first: str = "") -> None:
    """`key: value` lines at `indent`; the first one led by `first` ("- " for a list item)."""
    inner = indent + len(first)
    for n, (key, value) in enumerate(data.items()):
        lead = " " * indent + first if n == 0 else " " * inner
        if isinstance(value, dict) and value:
            lines.append(f"{lead}{key}:")
            _mapping(value, inner + 2, lines)
        elif isinstance(value, list) and value:
            lines.append(f"{lead}{key}:")
            for item in value:
                if isinstance(item, dict) and item:
                    _mapping(item, inner, lines, "- ")
                elif isinstance(item, dict):
                    lines.append(f"{' ' * inner}- {{}}")
                else:
                    lines.append(f"{' ' * inner}- {_scalar(item)}")
        elif isinstance(value, dict | list):
            lines.append(f"{lead}{key}: {'{}' if isinstance(value, dict) else '[]'}")
        else:
            lines.append(f"{lead}{key}: {_scalar(value)}")


def department_of(offer: Offer, gazetteer: Gazetteer) -> str:
    for place in offer.places:
        commune = gazetteer.by_insee(place.insee)
        if commune is not None:
            return commune.department
    return "remote"


def write_offers(offers: Iterable[tuple[str, str, str]], offers_dir: Path) -> Changes:
    """(department, id, yaml) triples -> lheo-*.yaml files under `offers_dir`; what changed."""
    by_dep: dict[str, list[tuple[str, str]]] = {}
    for dep, offer_id, text in offers:
        by_dep.setdefault(dep, []).append((offer_id, text))
    before = _existing(offers_dir)  # id -> digest of the item an earlier import wrote
    offers_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".lheo-", dir=offers_dir.parent))
    try:
        after: dict[str, str] = {}  # id -> digest
        for dep, items in sorted(by_dep.items()):
            items.sort()
            body = "".join(text for _id, text in items)
            header = f"department: '{dep}'\n" if dep != "remote" else "department: all\n"
            (tmp / f"lheo-{dep}.yaml").write_text(
                HEADER + header + "offers:\n" + body, encoding="utf-8"
            )
            after.update((offer_id, _digest(text)) for offer_id, text in items)
        (tmp / INDEX).write_text(json.dumps(after, sort_keys=True), encoding="utf-8")
        for old in [*offers_dir.glob("lheo-*.yaml"), offers_dir / INDEX]:
            if old.exists() and not (tmp / old.name).exists():
                old.unlink()
        for new in sorted(tmp.iterdir()):
            os.replace(new, offers_dir / new.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    changes = Changes()
    for offer_id, text in after.items():
        if offer_id not in before:
            changes.added.append(offer_id)
        elif before[offer_id] != text:
            changes.updated.append(offer_id)
        else:
            changes.unchanged += 1
    changes.removed = sorted(set(before) - set(after))
    return changes


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _existing(offers_dir: Path) -> dict[str, str]:
    """What earlier imports wrote, by id: from their index, else (hand-edited) from the YAML."""
    index = offers_dir / INDEX
    files = sorted(offers_dir.glob("lheo-*.yaml"))
    if index.exists() and all(p.stat().st_mtime <= index.stat().st_mtime for p in files):
        return dict(json.loads(index.read_text(encoding="utf-8")))
    known: dict[str, str] = {}
    for path in files:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=TextDateLoader) or {}
        for item in data.get("offers") or []:
            if isinstance(item, dict) and "id" in item:
                known[str(item["id"])] = _digest(_item(item))
    return known
