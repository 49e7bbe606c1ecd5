"""One validated data·inclusion service -> a Repère offer, as the line the import writes.

The schema already validated the service, so the offer is built as a plain dict of its fields,
in the `Offer` model's order, and written by pydantic-core's JSON writer: the bytes the model
would write. A dict that `Offer` would refuse or change (a text to trim, a contact its patterns
refuse…) takes the model's own road instead: the same line, or the same skip and reason.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pydantic_core
from pydantic import ValidationError

from bot.catalogue.datainclusion_hours import HoursReader
from bot.catalogue.datainclusion_map import Mapping
from bot.catalogue.datainclusion_merge import Item, item_of, key_of
from bot.catalogue.gazetteer import Commune, Gazetteer
from bot.catalogue.lheo_write import first_error, json_row
from bot.catalogue.model import Offer, Theme

_PHONE = re.compile(r"\+?[0-9 .]{10,17}")
# The `Offer` model's patterns (model.py), matched whole: a match here is a match there
_OFFER_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{2,79}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
_URL = re.compile(r"https?://\S+")
_CLEAN = re.compile(r"[\s.\-()]")
_ID_SAFE = re.compile(r"[^a-z0-9_.-]+")
_RAW_SAFE = re.compile(r"^[a-z0-9_.-]+$")
NATIONAL = frozenset({"france", "99100"})


@dataclass
class DiReport:
    read: int = 0
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def warn(self, text: str) -> None:
        if len(self.warnings) < 1000:
            self.warnings.append(text)


@dataclass(frozen=True)
class DiScope:
    gazetteer: Gazetteer
    mapping: Mapping
    today: date
    departments: set[str] | None = None  # None: every department of the region


@dataclass(frozen=True, slots=True)
class StructureInfo:
    """What a service borrows from its structure: name, networks, fallback contacts and hours."""

    name: str
    networks: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None
    url: str | None = None
    hours: str | None = None


def di_id(source: str, raw: str) -> str:
    """`di-<source>-<id>`; the source's own id kept when it is already plain and short enough,
    else made safe and given a short fingerprint of the original (two ids never meet)."""
    own = raw[len(source) + 2 :] if raw.startswith(f"{source}--") else raw
    base = _ID_SAFE.sub("-", f"di-{source}-{own}".lower()).strip("-")
    if _RAW_SAFE.match(own) and len(base) <= 80:
        return base
    tag = hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{base[:71].rstrip('-')}-{tag}"


def phone(text: str | None) -> str | None:
    """ "+33123456789" -> "01 23 45 67 89"; a number the card cannot show is left out."""
    if not text:
        return None
    digits = _CLEAN.sub("", text)
    if digits.startswith("+33") and len(digits) == 12:
        digits = "0" + digits[3:]
    if len(digits) == 10 and digits.isdigit():
        return f"{digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:8]} {digits[8:]}"
    return digits if _PHONE.fullmatch(digits) else None


class OfferMapper:
    """Where a service is, and its offer; built once per import (per worker)."""

    def __init__(self, scope: DiScope, structures: dict[str, StructureInfo]) -> None:
        self.scope = scope
        self.gazetteer = scope.gazetteer
        self.mapping = scope.mapping
        self.structures = structures
        self.hours = HoursReader(scope.mapping.hours)
        self.by_thematique = scope.mapping.themes_by_thematique
        self.insertion = frozenset(n.value for n in scope.mapping.insertion_networks)
        self._themes: dict[tuple[frozenset[str], tuple[str, ...]], list[Theme]] = {}
        self._eligibilities: dict[tuple[frozenset[Any], ...], tuple[dict[str, Any], bool]] = {}

    def where(self, record: dict[str, Any]) -> tuple[Commune | None, str]:
        """The service's commune in the region, or (None, "") for one at a distance that the
        region may use, or (None, why it is left out). Read before validation: cheap."""
        g = self.gazetteer
        insee, postal = record.get("code_insee"), record.get("code_postal")
        commune: Commune | None = None
        outside = False
        if isinstance(insee, str) and insee:
            commune = g.by_insee(insee)
            outside = commune is None and g.outside_by_insee(insee) is not None
        if commune is None and not outside and isinstance(postal, str) and len(postal) == 5:
            hits = g.by_postal(postal)
            named = [c for c in hits if c.name.lower() == str(record.get("commune", "")).lower()]
            commune = named[0] if named else (hits[0] if len(hits) == 1 else None)
            outside = not hits and postal[:2].isdigit() and not g.in_region(postal[:2])
        if commune is not None:
            departments = self.scope.departments
            if departments and commune.department not in departments:
                return None, "other department"
            return commune, ""
        zone = record.get("zone_eligibilite") or []
        if not outside and isinstance(zone, list) and self._zone_in_region(zone):
            return None, ""
        if outside or zone:
            return None, "outside the region"
        return None, "no place"

    def _zone_in_region(self, zone: list[Any]) -> bool:
        g = self.gazetteer
        departments = self.scope.departments
        for code in map(str, zone):
            if code in NATIONAL:
                return True
            if len(code) in (2, 3) and g.in_region(code):
                return departments is None or code in departments
            commune = g.by_insee(code) if len(code) == 5 else None
            if commune is not None and (departments is None or commune.department in departments):
                return True
        return False

    def item(self, s: Any, commune: Commune | None, report: DiReport) -> Item | None:
        """The service `s` (a schema `Service`) as the import's item, or None (why: in `report`)."""
        structure = self.structures.get(s.structure_id)
        networks = structure.networks if structure else ()
        themes = self._themes_of(s.thematiques, networks)
        if not themes:
            report.skipped["no known theme"] += 1
            return None
        modes = {m.value for m in s.modes_accueil or ()}
        remote = "a-distance" in modes
        if commune is None and not remote:
            report.skipped["no place"] += 1
            return None
        data: dict[str, Any] = {  # in the model's order: the order pydantic writes
            "id": di_id(s.source, s.id),
            "title": s.nom.strip()[:200],
            "summary": " ".join(s.description.split())[:600],
            "kind": "aci" if self.insertion.intersection(networks) else "training",
            "themes": themes,
            "organisation": {"name": structure.name if structure else s.structure_id},
            "places": [self._place(s, commune)] if commune else [],
            "mode": "remote" if commune is None else ("mixed" if remote else "on_site"),
            "permanent_entry": True,  # no dates in data·inclusion: never made up
        }
        weekly = s.volume_horaire_hebdomadaire
        if weekly and 0 < weekly <= 50:
            data["weekly_hours"] = weekly
        eligibility, eligible_as_is = self._eligibility(s)
        data["eligibility"] = eligibility
        if s.frais is not None and s.frais in self.mapping.frais:
            data["cost"] = {"free": self.mapping.frais[s.frais].free}
        data["contact"] = self._contact(s, structure)
        expression = s.horaires_accueil or (structure.hours if structure else None)
        if expression:
            hours, why = self.hours.read(expression)
            if hours:
                data["opening_hours"] = hours
            else:
                report.warn(f"service {s.id}: horaires_accueil '{expression}': {why}")
        data["last_updated"] = s.date_maj
        data["source"] = "data-inclusion"
        data["provider"] = s.source
        department = commune.department if commune else "remote"
        if eligible_as_is and _as_the_model_keeps_it(data):
            where = commune.insee if commune else "remote"
            key = key_of(data["title"], where, data["organisation"]["name"])
            row = json_row(department, data["id"], pydantic_core.to_json(data))
            return Item(data["id"], s.date_maj, key, s.source, row)
        try:
            offer = Offer.model_validate(data)
        except ValidationError as exc:
            report.skipped["invalid data"] += 1
            report.warn(f"service {s.id}: {first_error(exc)}")
            return None
        return item_of(offer, self.gazetteer)

    def _themes_of(self, thematiques: Any, networks: tuple[str, ...]) -> list[Theme]:
        """The themes of a service's thématiques and its structure's networks (few distinct
        pairs in a whole export: each is worked out once)."""
        values = frozenset(t.value for t in thematiques or ())
        found = self._themes.get((values, networks))
        if found is None:
            themes: list[Theme] = []
            for thematique in sorted(values):
                themes += [t for t in self.by_thematique.get(thematique, ()) if t not in themes]
            for network in networks:
                mapped = self.mapping.reseaux_porteurs.get(network, [])
                themes += [t for t in mapped if t not in themes]
            found = self._themes[(values, networks)] = themes
        return list(found)

    def _place(self, s: Any, commune: Commune) -> dict[str, Any]:
        postal = s.code_postal if s.code_postal in commune.postal_codes else None
        place: dict[str, Any] = {
            "address": (s.adresse or "").strip() or commune.name,
            "insee": commune.insee,
            "postal_code": postal or commune.postal_codes[0],
        }
        lat, lon = s.latitude, s.longitude
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            place["lat"], place["lon"] = round(lat, 5), round(lon, 5)
        return place

    def _eligibility(self, s: Any) -> tuple[dict[str, Any], bool]:
        """The offer's eligibility, and whether `Offer` keeps it as it is; worked out once per
        distinct (publics, mobilisable_par): few in a whole export. Shared: never changed."""
        key = (frozenset(s.publics or ()), frozenset(s.mobilisable_par or ()))
        found = self._eligibilities.get(key)
        if found is None:
            found = self._eligibilities[key] = self._new_eligibility(*key)
        return found

    def _new_eligibility(
        self, publics: frozenset[Any], mobilisable_par: frozenset[Any]
    ) -> tuple[dict[str, Any], bool]:
        known = self.mapping.publics
        rules = [known[p] for p in sorted(publics) if p in known]
        out: dict[str, Any] = {}
        if len(rules) == 1:  # a condition holds only when it is the one public named
            only = rules[0]
            for key in ("age_min", "age_max", "jobseeker_required", "rsa_only"):
                value = getattr(only, key)
                if value:
                    out[key] = value
        out["publics"] = [r.label for r in rules]
        if {p.value for p in mobilisable_par} == {"professionnels"}:
            out["prescription"] = {
                "required": True,
                "by": [self.mapping.registration.professionals],
            }
        age_min, age_max = out.get("age_min"), out.get("age_max")
        as_is = all(map(_text, [*out["publics"], *out.get("prescription", {}).get("by", ())]))
        return out, as_is and not (age_min and age_max and age_max < age_min)

    def _contact(self, s: Any, structure: StructureInfo | None) -> dict[str, str]:
        words = self.mapping.registration
        number = phone(s.telephone) or (structure.phone if structure else None)
        email = s.courriel or (structure.email if structure else None)
        link = str(s.lien_mobilisation) if s.lien_mobilisation else None
        url = link or (str(s.lien_source) if s.lien_source else None)
        url = url or (structure.url if structure else None)
        ways = {m.value for m in s.modes_mobilisation or ()}
        how: list[str] = []
        if link and ("utiliser-lien-mobilisation" in ways or not ways):
            how.append(words.link.format(url=link))
        if number and ("telephoner" in ways or not ways):
            how.append(words.phone.format(phone=number))
        if email and "envoyer-un-courriel" in ways:
            how.append(words.email.format(email=email))
        if "se-presenter" in ways:
            how.append(words.visit)
        if s.mobilisation_precisions:
            how.append(" ".join(s.mobilisation_precisions.split())[:300])
        how.append(words.anytime)
        contact = {"phone": number, "email": email, "url": url, "how_to_register": " ".join(how)}
        return {k: v for k, v in contact.items() if v}


def _text(value: str) -> bool:
    """A text `Offer` keeps as it is (its NonEmpty strips, and refuses an empty one)."""
    return bool(value) and value == value.strip()


def _as_the_model_keeps_it(data: dict[str, Any]) -> bool:
    """Whether `Offer` accepts `data` unchanged (its eligibility checked once, beforehand);
    False sends it the model's (slower) way."""
    if not (_OFFER_ID.fullmatch(data["id"]) and _text(data["title"]) and _text(data["summary"])):
        return False
    if not _text(data["organisation"]["name"]):
        return False
    if not all(_text(p["address"]) for p in data["places"]):
        return False
    contact = data["contact"]
    number, email, url = contact.get("phone"), contact.get("email"), contact.get("url")
    return (
        (number is None or _PHONE.fullmatch(number) is not None)
        and (email is None or _EMAIL.fullmatch(email) is not None)
        and (url is None or _URL.fullmatch(url) is not None)
    )
