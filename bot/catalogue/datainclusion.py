"""Import services from data·inclusion's open data (or API) into the catalogue.

Each record is validated with data·inclusion's own models (`data-inclusion-schema`, v1): a
record the schema refuses is skipped and counted with its reason, never a crash. Kept: places in
Nouvelle-Aquitaine, by `code_insee`, else the postal code, else (for a service at a distance)
`zone_eligibilite`. Thématiques and the structure's networks become Repère themes through the
coordinators' mapping file (catalogue/data-inclusion.yaml). data·inclusion has no session
dates: every offer is "entrée à tout moment" and its card says how to get in touch; no date is
ever made up.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from data_inclusion.schema.v1 import Service, Structure
from pydantic import TypeAdapter, ValidationError

from bot.catalogue.datainclusion_hours import HoursReader
from bot.catalogue.datainclusion_map import Mapping
from bot.catalogue.datainclusion_read import Malformed, Record
from bot.catalogue.gazetteer import Commune, Gazetteer
from bot.catalogue.model import Offer, Theme

_ID_SAFE = re.compile(r"[^a-z0-9_.-]+")
_RAW_SAFE = re.compile(r"^[a-z0-9_.-]+$")
_PHONE = re.compile(r"^\+?[0-9 .]{10,17}$")
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


def read_structures(records: Iterable[Record], report: DiReport) -> dict[str, StructureInfo]:
    out: dict[str, StructureInfo] = {}
    for record in records:
        if isinstance(record, Malformed):
            report.skipped["structure: malformed JSON"] += 1
            continue
        try:
            s = Structure.model_validate(_repaired(record, report))
        except ValidationError as exc:
            report.skipped[f"structure: {_reason(exc)}"] += 1
            continue
        out[s.id] = StructureInfo(
            name=s.nom,
            networks=tuple(sorted(r.value for r in s.reseaux_porteurs or ())),
            phone=_phone(s.telephone),
            email=s.courriel,
            url=str(s.site_web) if s.site_web else None,
            hours=s.horaires_accueil,
        )
    return out


def read_services(
    records: Iterable[Record],
    scope: DiScope,
    structures: dict[str, StructureInfo],
    report: DiReport,
) -> Iterator[Offer]:
    """Offers one by one, in the records' order; what is skipped goes to `report`."""
    mapper = _Mapper(scope, structures)
    for record in records:
        report.read += 1
        if isinstance(record, Malformed):
            report.skipped["malformed JSON"] += 1
            report.warn(f"line {record.line}: malformed JSON")
            continue
        commune, why = mapper.where(record)
        if why:
            report.skipped[why] += 1
            continue
        try:
            service = _validated(_repaired(record, report))
        except ValidationError as exc:
            reason = _reason(exc)
            report.skipped[reason] += 1
            report.warn(f"service {record.get('id', '?')}: {reason}: {_message(exc)}")
            continue
        offer = mapper.offer(service, commune, report)
        if offer is not None:
            report.imported += 1
            yield offer


def _repaired(record: dict[str, Any], report: DiReport) -> dict[str, Any]:
    """A decimal comma in the coordinates ("45,83") is read as the number it means."""
    for key in ("latitude", "longitude"):
        value = record.get(key)
        if isinstance(value, str) and "," in value:
            record[key] = value.replace(",", ".", 1)
            report.warn(f"record {record.get('id', '?')}: {key} '{value}' read with a point")
    return record


def _validated(record: dict[str, Any]) -> Any:
    """The record as a schema `Service`. The e-mail check is the schema's own (pydantic's
    EmailStr, by `email-validator`) but its costly half, the domain, is checked once per
    domain: a plain local part ("prenom.nom") before a domain the schema accepted is valid."""
    email = record.get("courriel")
    normal = _email(email) if isinstance(email, str) else None
    if normal is None:
        return Service.model_validate(record)
    service = Service.model_validate({k: v for k, v in record.items() if k != "courriel"})
    return service.model_copy(update={"courriel": normal})


_EMAIL = TypeAdapter(Service.model_fields["courriel"].annotation)
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def _email(value: str) -> str | None:
    """The address as the schema would keep it, when it surely passes; else None (then the
    schema checks it whole, and says why it fails)."""
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 254 or len(local) > 64 or not _DOT_ATOM.fullmatch(local):
        return None
    normal = _domain(domain)
    return None if normal is None else f"{local}@{normal}"


@functools.lru_cache(maxsize=65536)
def _domain(domain: str) -> str | None:
    try:
        return str(_EMAIL.validate_python(f"x@{domain}")).rpartition("@")[2]
    except ValidationError:
        return None


def _reason(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"][:1]) or "record"
    what = "missing" if first["type"] == "missing" else "invalid"
    return f"{what} {where}"


def _message(exc: ValidationError) -> str:
    text = str(exc.errors(include_url=False)[0]["msg"])
    return text if len(text) <= 160 else text[:157] + "..."


def _phone(text: str | None) -> str | None:
    """ "+33123456789" -> "01 23 45 67 89"; a number the card cannot show is left out."""
    if not text:
        return None
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+33") and len(digits) == 12:
        digits = "0" + digits[3:]
    if len(digits) == 10 and digits.isdigit():
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    return digits if _PHONE.match(digits) else None


class _Mapper:
    def __init__(self, scope: DiScope, structures: dict[str, StructureInfo]) -> None:
        self.scope = scope
        self.gazetteer = scope.gazetteer
        self.mapping = scope.mapping
        self.structures = structures
        self.hours = HoursReader(scope.mapping.hours)
        self.by_thematique = scope.mapping.themes_by_thematique
        self.insertion = frozenset(n.value for n in scope.mapping.insertion_networks)

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

    def offer(self, s: Service, commune: Commune | None, report: DiReport) -> Offer | None:
        structure = self.structures.get(s.structure_id)
        themes: list[Theme] = []
        for thematique in sorted(t.value for t in s.thematiques or ()):
            themes += [t for t in self.by_thematique.get(thematique, ()) if t not in themes]
        networks = structure.networks if structure else ()
        for network in networks:
            mapped = self.mapping.reseaux_porteurs.get(network, [])
            themes += [t for t in mapped if t not in themes]
        if not themes:
            report.skipped["no known theme"] += 1
            return None
        modes = {m.value for m in s.modes_accueil or ()}
        remote = "a-distance" in modes
        if commune is None and not remote:
            report.skipped["no place"] += 1
            return None
        mode = "remote" if commune is None else ("mixed" if remote else "on_site")
        data: dict[str, Any] = {
            "id": di_id(s.source, s.id),
            "title": s.nom.strip()[:200],
            "summary": " ".join(s.description.split())[:600],
            "kind": "aci" if self.insertion.intersection(networks) else "training",
            "themes": themes,
            "organisation": {"name": structure.name if structure else s.structure_id},
            "places": [self._place(s, commune)] if commune else [],
            "mode": mode,
            "permanent_entry": True,  # no dates in data·inclusion: never made up
            "eligibility": self._eligibility(s),
            "contact": self._contact(s, structure),
            "last_updated": s.date_maj,
            "source": "data-inclusion",
            "provider": s.source,
        }
        if s.frais is not None and s.frais in self.mapping.frais:
            data["cost"] = {"free": self.mapping.frais[s.frais].free}
        weekly = s.volume_horaire_hebdomadaire
        if weekly and 0 < weekly <= 50:
            data["weekly_hours"] = weekly
        expression = s.horaires_accueil or (structure.hours if structure else None)
        if expression:
            hours, why = self.hours.read(expression)
            if hours:
                data["opening_hours"] = hours
            else:
                report.warn(f"service {s.id}: horaires_accueil '{expression}': {why}")
        try:
            return Offer.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            report.skipped["invalid data"] += 1
            report.warn(f"service {s.id}: {where}: {first['msg']}")
            return None

    def _place(self, s: Service, commune: Commune) -> dict[str, Any]:
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

    def _eligibility(self, s: Service) -> dict[str, Any]:
        known = self.mapping.publics
        rules = [known[p] for p in sorted(s.publics or ()) if p in known]
        out: dict[str, Any] = {"publics": [r.label for r in rules]}
        if len(rules) == 1:  # a condition holds only when it is the one public named
            only = rules[0]
            for key in ("jobseeker_required", "rsa_only", "age_min", "age_max"):
                value = getattr(only, key)
                if value:
                    out[key] = value
        users = {p.value for p in s.mobilisable_par or ()}
        if users == {"professionnels"}:
            out["prescription"] = {
                "required": True,
                "by": [self.mapping.registration.professionals],
            }
        return out

    def _contact(self, s: Service, structure: StructureInfo | None) -> dict[str, str]:
        words = self.mapping.registration
        phone = _phone(s.telephone) or (structure.phone if structure else None)
        email = s.courriel or (structure.email if structure else None)
        link = str(s.lien_mobilisation) if s.lien_mobilisation else None
        url = link or (str(s.lien_source) if s.lien_source else None)
        url = url or (structure.url if structure else None)
        ways = {m.value for m in s.modes_mobilisation or ()}
        how: list[str] = []
        if link and ("utiliser-lien-mobilisation" in ways or not ways):
            how.append(words.link.format(url=link))
        if phone and ("telephoner" in ways or not ways):
            how.append(words.phone.format(phone=phone))
        if email and "envoyer-un-courriel" in ways:
            how.append(words.email.format(email=email))
        if "se-presenter" in ways:
            how.append(words.visit)
        if s.mobilisation_precisions:
            how.append(" ".join(s.mobilisation_precisions.split())[:300])
        how.append(words.anytime)
        contact = {"phone": phone, "email": email, "url": url, "how_to_register": " ".join(how)}
        return {k: v for k, v in contact.items() if v}
