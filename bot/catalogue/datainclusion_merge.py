"""One offer, one card: the same action reaching the catalogue twice is merged.

The rule, in order:
1. the same id (the source's own id: a service listed twice by data·inclusion, or a
   `carif-oref` service whose id is the action number of an LHEO offer already imported);
2. else the same normalised title + commune (INSEE code, or "remote") + organisation.
Of two data·inclusion copies the newer (`date_maj`) is kept whole. A data·inclusion copy of an
LHEO offer is dropped: the LHEO offer, in its own file, is the card. (Writing a merged copy
under the LHEO id made two offers with one id, the data·inclusion file's winning: a later LHEO
import's new dates were hidden behind the copy's old ones.) When the copy is newer, the report
says so, for the coordinators to check the contacts at the Carif-Oref.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import BinaryIO, NamedTuple

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.lheo_write import Row, offer_row
from bot.catalogue.model import Offer

Key = bytes  # a fingerprint of (title, commune, organisation), normalised: small in memory


def offer_key(offer: Offer) -> Key:
    where = offer.places[0].insee if offer.places else "remote"
    return key_of(offer.title, where, offer.organisation.name)


def key_of(title: str, where: str, organisation: str) -> Key:
    """The key of an offer's title, place (INSEE code, or "remote") and organisation."""
    parts = (_plain_title(title), where, _plain_name(organisation))
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).digest()


def plain(text: str) -> str:
    """Lower case, no accents, words only: "Cours de Français !" -> "cours de francais"."""
    ascii_text = text
    if not text.isascii():
        ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_WORDS.findall(ascii_text.lower())) or text.casefold()


_WORDS = re.compile(r"[a-z0-9]+")
_plain_name = functools.lru_cache(maxsize=65536)(plain)  # organisations repeat
_plain_title = functools.lru_cache(maxsize=65536)(plain)  # so do titles ("Atelier numérique")


class Item(NamedTuple):
    """An imported offer as the merge needs it: small, and quick to send between processes."""

    id: str
    updated: date
    key: Key
    provider: str | None
    row: Row  # its written line


def item_of(offer: Offer, gazetteer: Gazetteer) -> Item:
    row = offer_row(offer, gazetteer)
    return Item(offer.id, offer.last_updated, offer_key(offer), offer.provider, row)


class Merger:
    """Data·inclusion offers in, one row per action out; LHEO offers already imported win.

    With a `spill` file, the kept offers' lines wait there rather than in memory (a national
    export holds hundreds of thousands): `text_of` reads one back when its file is written.
    """

    def __init__(self, lheo: Iterable[Offer] = (), spill: BinaryIO | None = None) -> None:
        self.spill = spill
        self.spilled: dict[str, tuple[int, int]] = {}  # id -> (offset, length) in `spill`
        self.spill_end = spill.seek(0, os.SEEK_END) if spill is not None else 0
        self.lheo_by_key: dict[Key, Offer] = {}
        self.lheo_by_action: dict[str, Offer] = {}
        for offer in lheo:
            self.lheo_by_key.setdefault(offer_key(offer), offer)
            self.lheo_by_action.setdefault(offer.id.rsplit("-", 1)[-1], offer)
        self.kept: dict[str, Item] = {}
        self.id_by_key: dict[Key, str] = {}
        self.merged: Counter[str] = Counter()
        self.notes: list[str] = []  # LHEO offers with a newer data·inclusion copy

    def add(self, item: Item) -> None:
        lheo = self._lheo_copy(item)
        if lheo is not None:
            self.merged["same offer as an LHEO one: the LHEO card kept"] += 1
            if item.updated > lheo.last_updated:
                self.notes.append(
                    f"{lheo.id}: its data·inclusion copy {item.id} is newer "
                    f"({item.updated.isoformat()}): check its contacts at the Carif-Oref"
                )
            return
        other = item.id if item.id in self.kept else self.id_by_key.get(item.key)
        if other is not None:
            rule = "same id" if other == item.id else "same title, commune, organisation"
            self.merged[rule] += 1
            updated = self.kept[other].updated
            if item.updated > updated or (item.updated == updated and item.id < other):
                del self.kept[other]
                self._keep(item)
            return
        self._keep(item)

    def _lheo_copy(self, item: Item) -> Offer | None:
        if item.provider == "carif-oref":
            own = item.id.removeprefix("di-carif-oref-")
            if own in self.lheo_by_action:
                return self.lheo_by_action[own]
        return self.lheo_by_key.get(item.key)

    def _keep(self, item: Item) -> None:
        if self.spill is not None:
            row = item.row
            size = len(row.text)
            self.spilled[item.id] = (self.spill_end, size)
            self.spill.write(row.text)
            self.spill_end += size
            row = Row(row.department, row.id, b"", row.digest)
            item = Item(item.id, item.updated, item.key, item.provider, row)
        self.kept[item.id] = item
        self.id_by_key[item.key] = item.id

    def rows(self) -> list[Row]:
        if self.spill is not None:
            self.spill.flush()
        return [item.row for item in self.kept.values()]

    def text_of(self, row: Row) -> bytes:
        """A row's line, from memory or from the spill file."""
        if self.spill is None or row.text:
            return row.text
        offset, length = self.spilled[row.id]
        return os.pread(self.spill.fileno(), length, offset)
