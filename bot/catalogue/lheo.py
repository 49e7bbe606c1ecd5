"""Import training offers from LHEO XML (2.3, and the 2.2 namespace) into the catalogue.

The file is read as a stream: each <formation> is mapped when its end tag arrives, then freed,
so memory stays flat whatever the file's size. One offer per <action>, with its sessions.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from bot.catalogue.gazetteer import Gazetteer, Outcome
from bot.catalogue.model import Offer, Theme
from bot.yamlsrc import DataError, Problem

NAMESPACES = {"http://lheo.gouv.fr/2.3": "2.3", "http://www.lheo.org/2.2": "2.2"}
# objectif-general-formation -> theme (5 remise à niveau, 9 projet professionnel, 8 préparation
# à la qualification); 6 and 7 (certification, professionalisation) are beyond this catalogue
GOALS = {"5": Theme.SAVOIRS_DE_BASE, "9": Theme.PROJET_PRO, "8": Theme.PRE_QUALIFICATION}
FUNDERS = {
    "2": "region",
    "4": "france_travail",
    "3": "europe",
    "20": "state",
    "5": "state",
    "7": "department",
    "10": "department",
}
MODES = {"0": "on_site", "1": "mixed", "2": "remote"}
PUBLICS = {
    "80006": "Demandeurs d'emploi",
    "80010": "Bénéficiaires du RSA",
    "81019": "Personnes en situation d'illettrisme",
    "81021": "Personnes analphabètes",
    "81022": "Personnes immigrées",
    "81023": "Primo-arrivants",
    "81042": "Réfugiés",
    "81043": "Personnes éloignées du numérique",
    "81024": "Jeunes de 16 à 25 ans",
    "83056": "Tout public",
}
_ID_SAFE = re.compile(r"[^a-z0-9_.-]+")
_PHONE = re.compile(r"^\+?[0-9 .]{10,17}$")


@dataclass
class ImportReport:
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    version: str = ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Node:
    """An element turned into plain dicts once, then looked up by local name ("a/b/c").

    ElementTree's own path search runs in Python for nested paths; one pass over a formation
    into dicts made the look-ups plain dictionary reads.
    """

    __slots__ = ("attrs", "kids", "value")

    def __init__(self, element: ET.Element) -> None:
        self.attrs = element.attrib
        text = element.text
        self.value = text.strip() if text else ""
        kids: dict[str, list[_Node]] = {}
        for child in element:
            tag = child.tag
            if isinstance(tag, str):
                kids.setdefault(tag[tag.rfind("}") + 1 :], []).append(_Node(child))
        self.kids = kids

    def get(self, attribute: str) -> str | None:
        return self.attrs.get(attribute)

    def _find(self, path: str) -> list[_Node]:
        found = [self]
        for part in path.split("/"):
            found = [k for n in found for k in n.kids.get(part, ())]
            if not found:
                break
        return found

    def text(self, path: str) -> str | None:
        found = self._find(path)
        return (found[0].value or None) if found else None

    def all(self, path: str) -> list[_Node]:
        return self._find(path)

    def first(self, path: str) -> _Node | None:
        found = self._find(path)
        return found[0] if found else None

    def texts(self, path: str) -> list[str]:
        return [x.value for x in self._find(path) if x.value]


def lheo_date(value: str | None) -> date | None:
    """AAAAMMJJ; 00000000 is unknown; AAAAMM00 is a month (its first day)."""
    if not value or not value.isdigit() or len(value) != 8 or value == "00000000":
        return None
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:])
    try:
        return date(year, month, day or 1)
    except ValueError:
        return None


def read_lheo(
    source: IO[bytes] | Path,
    gazetteer: Gazetteer,
    formacodes: dict[str, Theme],
    today: date,
    departments: set[str] | None = None,
    all_regions: bool = False,
    report: ImportReport | None = None,
) -> Iterator[Offer]:
    """Offers one by one; `report` (if given) is filled as the stream goes."""
    report = report if report is not None else ImportReport()
    formation_tag = ""
    last: ET.Element | None = None
    try:
        for _event, element in ET.iterparse(source, events=("end",)):
            last = element
            if not formation_tag:  # the first element closed tells the namespace
                tag = element.tag
                ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
                if ns not in NAMESPACES:
                    raise DataError([Problem(_name(source), 1, _not_lheo(ns))])
                report.version = NAMESPACES[ns]
                formation_tag = f"{{{ns}}}formation"
            if element.tag != formation_tag:
                continue
            for offer in _formation(
                _Node(element), gazetteer, formacodes, today, report, departments, all_regions
            ):
                report.imported += 1
                yield offer
            element.clear()  # memory stays flat
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 1
        message = re.sub(r": line \d+, column \d+$", "", str(exc))
        raise DataError([Problem(_name(source), line, f"malformed XML: {message}")]) from None
    if last is None or _local(last.tag) != "lheo":
        root = _local(last.tag) if last is not None else "nothing"
        raise DataError([Problem(_name(source), 1, f"not an LHEO file: the root is <{root}>")])


def _not_lheo(ns: str) -> str:
    return (
        f"not an LHEO file: namespace '{ns or 'none'}' (expected " + " or ".join(NAMESPACES) + ")"
    )


def _name(source: IO[bytes] | Path) -> str:
    return str(source) if isinstance(source, Path) else str(getattr(source, "name", "<lheo>"))


def _formation(
    f: _Node,
    gazetteer: Gazetteer,
    formacodes: dict[str, Theme],
    today: date,
    report: ImportReport,
    departments: set[str] | None,
    all_regions: bool,
) -> Iterator[Offer]:
    number = f.get("numero") or ""
    title = f.text("intitule-formation") or ""
    themes: list[Theme] = []
    codes_formacode = f.texts("domaine-formation/code-FORMACODE")
    for code in codes_formacode:
        theme = formacodes.get(code)
        if theme is not None and theme not in themes:
            themes.append(theme)
    goal = GOALS.get(f.text("objectif-general-formation") or "")
    if goal is not None and goal not in themes:
        themes.append(goal)
    summary = f.text("objectif-formation") or f.text("contenu-formation") or title
    contact = _contact(f.first("contact-formation/coordonnees"))
    organisation = (
        f.text("organisme-formation-responsable/raison-sociale")
        or f.text("organisme-formation-responsable/nom-organisme")
        or ""
    )
    updated = lheo_date(f.get("datemaj")) or today
    for a in f.all("action"):
        label = f"action {a.get('numero') or '?'}"
        if not themes:
            report.skipped["no known theme"] += 1
            continue
        place, reason = _place(a, gazetteer, departments, all_regions)
        mode = MODES.get(a.text("modalites-enseignement") or "0", "on_site")
        if place is None and mode != "remote":
            report.skipped[reason] += 1
            continue
        permanent = a.text("modalites-entrees-sorties") == "1"
        sessions = []
        for s in a.all("session"):
            start = lheo_date(s.text("periode/debut"))
            end = lheo_date(s.text("periode/fin"))
            state = s.text("etat-recrutement")
            sessions.append(
                {
                    "start": start,
                    "end": end,
                    "registration": "open" if state in (None, "1") else "closed",
                }
            )
        live = [s for s in sessions if not s["end"] or s["end"] >= today]  # type: ignore[operator]
        if sessions and not live and not permanent:
            report.skipped["every session past"] += 1
            continue
        if not sessions and not permanent:
            report.skipped["no session"] += 1
            continue
        codes = a.texts("code-public-vise")
        funders = sorted(
            {FUNDERS[c] for c in a.texts("organisme-financeur/code-financeur") if c in FUNDERS}
        )
        eligibility: dict[str, Any] = {"publics": [PUBLICS[c] for c in codes if c in PUBLICS]}
        if codes and set(codes) <= {"80006"}:
            eligibility["jobseeker_required"] = True
        if codes and set(codes) <= {"80010"}:
            eligibility["rsa_only"] = True
        if "81024" in codes and "83056" not in codes and len(codes) == 1:
            eligibility["age_min"], eligibility["age_max"] = 16, 25
        trainer = a.text("organisme-formateur/raison-sociale-formateur")
        action_contact = _contact(a.first("contact-action/coordonnees")) or contact
        register = a.text("session/adresse-inscription/adresse/ligne")
        if register:
            action_contact = {
                **action_contact,
                "how_to_register": f"Inscription : {register}, "
                f"{a.text('session/adresse-inscription/adresse/ville') or ''}".rstrip(", "),
            }
        if not action_contact:
            action_contact = {"how_to_register": "Contactez l'organisme de formation."}
        data: dict[str, Any] = {
            "id": offer_id(number, a.get("numero") or str(len(sessions))),
            "title": title[:200],
            "summary": summary[:600],
            "themes": [t.value for t in themes],
            "formacode": [c for c in codes_formacode if re.fullmatch(r"\d{5}", c)][:5],
            "organisation": {"name": trainer or organisation or "Organisme de formation"},
            "places": [place] if place else [],
            "mode": mode,
            "sessions": [s for s in sessions if s in live] if live else sessions[:0],
            "permanent_entry": permanent,
            "eligibility": eligibility,
            "cost": {"free": bool(funders), "funders": funders},
            "pmr": _flag(a.text("acces-handicapes")),
            "languages": ["fr"],
            "contact": action_contact,
            "last_updated": lheo_date(a.get("datemaj")) or updated,
            "source": "lheo",
        }
        try:
            yield Offer.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            report.skipped["invalid data"] += 1
            report.warnings.append(f"{label}: {where}: {first['msg']}")


def offer_id(formation: str, action: str) -> str:
    raw = f"lheo-{formation}-{action}".lower()
    return _ID_SAFE.sub("-", raw).strip("-")[:80]


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip() not in ("0", "", "non")


def _contact(c: _Node | None) -> dict[str, str]:
    if c is None:
        return {}
    out: dict[str, str] = {}
    phone = c.text("telfixe/numtel") or c.text("portable/numtel")
    if phone and _PHONE.match(phone):
        out["phone"] = phone
    email = c.text("courriel")
    if email and "@" in email and " " not in email:
        out["email"] = email
    url = c.text("web/urlweb")
    if url and url.startswith(("http://", "https://")):
        out["url"] = url
    return out


def _place(
    a: _Node, gazetteer: Gazetteer, departments: set[str] | None, all_regions: bool
) -> tuple[dict[str, Any] | None, str]:
    places = a.all("lieu-de-formation")
    chosen = next((p for p in places if p.get("tag") == "principal"), places[0] if places else None)
    if chosen is None:
        return None, "no place"
    addr = chosen.first("coordonnees/adresse")
    if addr is None:
        return None, "no place"
    insee = addr.text("code-INSEE-commune")
    postal = addr.text("codepostal")
    lat, lon = addr.text("geolocalisation/latitude"), addr.text("geolocalisation/longitude")
    commune = gazetteer.by_insee(insee) if insee else None
    if commune is None and postal:
        hits = gazetteer.by_postal(postal)
        city = gazetteer.resolve(addr.text("ville") or "").place
        named = [c for c in hits if city is not None and city.insee == c.insee]
        commune = named[0] if named else (hits[0] if len(hits) == 1 else None)
    if commune is None and lat and lon:
        found = gazetteer.resolve(f"{float(lat):.5f},{float(lon):.5f}")
        if found.outcome is Outcome.FOUND and found.place is not None:
            near = gazetteer.nearest(found.place.lat, found.place.lon)
            commune = near[0] if near else None
    if commune is None:
        outside = (insee and not gazetteer.by_insee(insee)) or (
            postal and postal[:2].isdigit() and not gazetteer.in_region(postal[:2])
        )
        if outside and not all_regions:
            return None, "outside the region"
        return None, "no place"
    if departments and commune.department not in departments:
        return None, "other department"
    place: dict[str, Any] = {
        "address": addr.text("ligne") or commune.name,
        "insee": commune.insee,
        "postal_code": postal if postal in commune.postal_codes else commune.postal_codes[0],
    }
    try:
        if lat and lon:
            place["lat"], place["lon"] = round(float(lat), 5), round(float(lon), 5)
    except ValueError:
        pass
    return place, ""
