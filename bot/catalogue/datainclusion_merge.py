"""One offer, one card: the same action reaching the catalogue twice is merged.

The rule, in order:
1. the same id (the source's own id: a service listed twice by data·inclusion, or a
   `carif-oref` service whose id is the action number of an LHEO offer already imported);
2. else the same normalised title + commune (INSEE code, or "remote") + organisation.
Of two data·inclusion copies the newer (`date_maj`) is kept whole. A data·inclusion copy of an
LHEO offer keeps LHEO's id, sessions and entry (data·inclusion has no dates) and takes the
contacts and opening hours of whichever copy is newer; when the LHEO copy is as new, the
data·inclusion copy brings nothing and is dropped.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date

from bot.catalogue.lheo_write import Row
from bot.catalogue.model import Offer
from bot.catalogue.text import fold

Key = tuple[str, str, str]


def offer_key(offer: Offer) -> Key:
    where = offer.places[0].insee if offer.places else "remote"
    return (fold(offer.title), where, _fold_name(offer.organisation.name))


_fold_name = functools.lru_cache(maxsize=65536)(fold)  # organisations repeat


def _newer(a: Offer, b: Offer) -> Offer:
    """The newer of two copies; on a tie, the smaller id (the same answer every run)."""
    if a.last_updated != b.last_updated:
        return a if a.last_updated > b.last_updated else b
    return a if a.id <= b.id else b


def merge_with_lheo(lheo: Offer, di: Offer) -> Offer | None:
    """The LHEO offer with data·inclusion's contacts and hours if those are newer, else None."""
    if di.last_updated <= lheo.last_updated:
        return None
    data = lheo.model_dump(exclude_unset=True)
    data["contact"] = di.contact.model_dump(exclude_unset=True)
    data["last_updated"] = di.last_updated
    data["provider"] = di.provider
    if di.opening_hours:
        data["opening_hours"] = di.opening_hours
    return Offer.model_validate(data)


class Merger:
    """Data·inclusion offers in, one row per action out; LHEO offers already imported win.

    Holds each kept offer as its written line (a Row), not as a model: memory stays small.
    """

    def __init__(self, to_row: Callable[[Offer], Row], lheo: Iterable[Offer] = ()) -> None:
        self.to_row = to_row
        self.lheo_by_key: dict[Key, Offer] = {}
        self.lheo_by_action: dict[str, Offer] = {}
        for offer in lheo:
            self.lheo_by_key.setdefault(offer_key(offer), offer)
            self.lheo_by_action.setdefault(offer.id.rsplit("-", 1)[-1], offer)
        self.kept: dict[str, tuple[date, Key, Row]] = {}  # id -> (updated, key, row)
        self.id_by_key: dict[Key, str] = {}
        self.merged: Counter[str] = Counter()

    def add(self, offer: Offer) -> None:
        key = offer_key(offer)
        lheo = self._lheo_copy(offer, key)
        if lheo is not None:
            merged = merge_with_lheo(lheo, offer)
            self.merged["same offer as an LHEO one" + (", newer contacts" if merged else "")] += 1
            if merged is not None:
                self._keep(merged.id, merged.last_updated, offer_key(merged), self.to_row(merged))
            return
        other = offer.id if offer.id in self.kept else self.id_by_key.get(key)
        if other is not None:
            rule = "same id" if other == offer.id else "same title, commune, organisation"
            self.merged[rule] += 1
            updated = self.kept[other][0]
            newer = offer.last_updated > updated
            if newer or (offer.last_updated == updated and offer.id < other):
                del self.kept[other]
                self._keep(offer.id, offer.last_updated, key, self.to_row(offer))
            return
        self._keep(offer.id, offer.last_updated, key, self.to_row(offer))

    def _lheo_copy(self, offer: Offer, key: Key) -> Offer | None:
        if offer.provider == "carif-oref":
            own = offer.id.removeprefix("di-carif-oref-")
            if own in self.lheo_by_action:
                return self.lheo_by_action[own]
        return self.lheo_by_key.get(key)

    def _keep(self, offer_id: str, updated: date, key: Key, row: Row) -> None:
        self.kept[offer_id] = (updated, key, row)
        self.id_by_key[key] = offer_id

    def rows(self) -> list[Row]:
        return [row for _updated, _key, row in self.kept.values()]
