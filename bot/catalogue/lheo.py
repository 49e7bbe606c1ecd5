"""Import training offers from LHEO XML (2.3, and the 2.2 namespace) into the catalogue.

`read_lheo` streams: each <formation> is mapped when its end tag arrives, then freed, so memory
stays flat whatever the file's size. `read_lheo_document` maps a document held in memory (a
piece of a large file, on one core). One offer per <action>, with its sessions.
"""

from __future__ import annotations

import functools
import io
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
from bot.catalogue.lheo_write import first_error
from bot.catalogue.model import Offer, Theme
from bot.catalogue.themes import Formacodes
from bot.yamlsrc import DataError, Problem

NAMESPACES = {"http://lheo.gouv.fr/2.3": "2.3", "http://www.lheo.org/2.2": "2.2"}
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
_FORMACODE = re.compile(r"\d{5}")


@dataclass
class ImportReport:
    imported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    version: str = ""


@dataclass(frozen=True)
class Scope:
    """What an import is asked for: the map, the FORMACODE lexicon, the day, where to keep."""

    gazetteer: Gazetteer
    formacodes: Formacodes  # FORMACODE and objectif-general-formation -> theme (themes.yaml)
    today: date
    departments: set[str] | None = None  # None: every department of the region
    all_regions: bool = False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Lookup:
    """Look-ups by local path ("a/b/c") in one namespace, through ElementTree's own `find`.

    A single qualified tag ("{ns}name") is searched in C by the ElementTree accelerator; only
    the walk from one level to the next is Python. Paths are qualified once, then cached.
    A path means what XPath means: the first match in document order, whichever branch holds it.
    """

    __slots__ = ("_ns", "_paths")

    def __init__(self, ns: str) -> None:
        self._ns = f"{{{ns}}}" if ns else ""
        self._paths: dict[str, tuple[str, ...]] = {}

    def _tags(self, path: str) -> tuple[str, ...]:
        tags = self._paths[path] = tuple(self._ns + part for part in path.split("/"))
        return tags

    def first(self, element: ET.Element, path: str) -> ET.Element | None:
        return _first(element, self._paths.get(path) or self._tags(path))

    def all(self, element: ET.Element, path: str) -> list[ET.Element]:
        tags = self._paths.get(path) or self._tags(path)
        found = element.findall(tags[0])
        for tag in tags[1:]:
            if not found:
                break
            found = [kid for node in found for kid in node.findall(tag)]
        return found

    def text(self, element: ET.Element, path: str) -> str | None:
        tags = self._paths.get(path) or self._tags(path)
        if len(tags) == 1:
            text = element.findtext(tags[0])
        else:
            found = _first(element, tags)
            text = found.text if found is not None else None
        return (text.strip() or None) if text else None

    def texts(self, element: ET.Element, path: str) -> list[str]:
        return [v for x in self.all(element, path) if x.text and (v := x.text.strip())]


def _first(element: ET.Element, tags: tuple[str, ...]) -> ET.Element | None:
    node = element.find(tags[0])
    if node is None:  # no branch at all
        return None
    for tag in tags[1:]:  # down the first branch, which nearly always holds it
        found = node.find(tag)
        if found is None:
            return _search(element, tags)
        node = found
    return node


def _search(element: ET.Element, tags: tuple[str, ...]) -> ET.Element | None:
    if len(tags) == 1:
        return element.find(tags[0])
    rest = tags[1:]
    for kid in element.findall(tags[0]):
        found = _search(kid, rest)
        if found is not None:
            return found
    return None


@functools.lru_cache(maxsize=4096)  # feeds repeat the same few hundred dates
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
    source: IO[bytes] | Path, scope: Scope, report: ImportReport | None = None
) -> Iterator[Offer]:
    """Offers one by one, streaming; `report` (if given) is filled as the stream goes."""
    report = report if report is not None else ImportReport()
    mapper: _Mapper | None = None
    formation_tag = ""
    last: ET.Element | None = None
    try:
        for _event, element in ET.iterparse(source, events=("end",)):
            last = element
            if mapper is None:  # the first element closed tells the namespace
                ns = _namespace(element.tag, source)
                mapper = _Mapper(ns, scope)
                report.version = NAMESPACES[ns]
                formation_tag = f"{{{ns}}}formation"
            if element.tag == formation_tag:
                yield from mapper.formation(element, report)
                element.clear()  # memory stays flat
    except ET.ParseError as exc:
        raise _malformed(exc, source) from None
    if last is None or _local(last.tag) != "lheo":
        root = _local(last.tag) if last is not None else "nothing"
        raise DataError([Problem(_name(source), 1, f"not an LHEO file: the root is <{root}>")])


def read_lheo_document(
    data: bytes, scope: Scope, report: ImportReport | None = None
) -> Iterator[Offer]:
    """The same offers from a document held in memory, parsed in one go (a third quicker)."""
    report = report if report is not None else ImportReport()
    source = io.BytesIO(data)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise _malformed(exc, source) from None
    ns = _namespace(root.tag, source)
    if _local(root.tag) != "lheo":
        message = f"not an LHEO file: the root is <{_local(root.tag)}>"
        raise DataError([Problem(_name(source), 1, message)])
    report.version = NAMESPACES[ns]
    mapper = _Mapper(ns, scope)
    for element in root.iter(f"{{{ns}}}formation"):
        yield from mapper.formation(element, report)


def _namespace(tag: str, source: IO[bytes] | Path) -> str:
    ns = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    if ns not in NAMESPACES:
        message = (
            f"not an LHEO file: namespace '{ns or 'none'}' (expected "
            + " or ".join(NAMESPACES)
            + ")"
        )
        raise DataError([Problem(_name(source), 1, message)])
    return ns


def _malformed(exc: ET.ParseError, source: IO[bytes] | Path) -> DataError:
    line = exc.position[0] if exc.position else 1
    message = re.sub(r": line \d+, column \d+$", "", str(exc))
    return DataError([Problem(_name(source), line, f"malformed XML: {message}")])


def _name(source: IO[bytes] | Path) -> str:
    return str(source) if isinstance(source, Path) else str(getattr(source, "name", "<lheo>"))


def offer_id(formation: str, action: str) -> str:
    raw = f"lheo-{formation}-{action}".lower()
    return _ID_SAFE.sub("-", raw).strip("-")[:80]


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip() not in ("0", "", "non")


class _Mapper:
    """<formation> elements of one namespace -> offers, one per action that can be placed."""

    def __init__(self, ns: str, scope: Scope) -> None:
        self.look = _Lookup(ns)
        self.gazetteer = scope.gazetteer
        self.formacodes = scope.formacodes
        self.today = scope.today
        self.departments = scope.departments
        self.all_regions = scope.all_regions

    def formation(self, f: ET.Element, report: ImportReport) -> list[Offer]:
        """The offers of one <formation>, one per action; what is skipped goes to `report`."""
        look, today = self.look, self.today
        text, texts, every, find = look.text, look.texts, look.all, look.first
        offers: list[Offer] = []
        number = f.get("numero") or ""
        title = text(f, "intitule-formation") or ""
        themes: list[Theme] = []
        codes_formacode = texts(f, "domaine-formation/code-FORMACODE")
        for code in codes_formacode:
            theme = self.formacodes.theme(code)
            if theme is not None and theme not in themes:
                themes.append(theme)
        goal = self.formacodes.objective(text(f, "objectif-general-formation") or "")
        if goal is not None and goal not in themes:
            themes.append(goal)
        summary = text(f, "objectif-formation") or text(f, "contenu-formation") or title
        contact = self._contact(find(f, "contact-formation/coordonnees"))
        organisation = (
            text(f, "organisme-formation-responsable/raison-sociale")
            or text(f, "organisme-formation-responsable/nom-organisme")
            or ""
        )
        updated = lheo_date(f.get("datemaj")) or today
        for a in every(f, "action"):
            if not themes:
                report.skipped["no known theme"] += 1
                continue
            place, reason = self._place(a)
            mode = MODES.get(text(a, "modalites-enseignement") or "0", "on_site")
            if place is None and mode != "remote":
                report.skipped[reason] += 1
                continue
            permanent = text(a, "modalites-entrees-sorties") == "1"
            sessions = []
            for s in every(a, "session"):
                state = text(s, "etat-recrutement")
                sessions.append(
                    {
                        "start": lheo_date(text(s, "periode/debut")),
                        "end": lheo_date(text(s, "periode/fin")),
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
            codes = texts(a, "code-public-vise")
            funders = sorted(
                {FUNDERS[c] for c in texts(a, "organisme-financeur/code-financeur") if c in FUNDERS}
            )
            eligibility: dict[str, Any] = {"publics": [PUBLICS[c] for c in codes if c in PUBLICS]}
            publics = set(codes)
            if publics == {"80006"}:
                eligibility["jobseeker_required"] = True
            if publics == {"80010"}:
                eligibility["rsa_only"] = True
            if "81024" in codes and "83056" not in codes and len(codes) == 1:
                eligibility["age_min"], eligibility["age_max"] = 16, 25
            trainer = text(a, "organisme-formateur/raison-sociale-formateur")
            action_contact = self._contact(find(a, "contact-action/coordonnees")) or contact
            register = text(a, "session/adresse-inscription/adresse/ligne")
            if register:
                city = text(a, "session/adresse-inscription/adresse/ville") or ""
                action_contact = {
                    **action_contact,
                    "how_to_register": f"Inscription : {register}, {city}".rstrip(", "),
                }
            if not action_contact:
                action_contact = {"how_to_register": "Contactez l'organisme de formation."}
            data: dict[str, Any] = {
                "id": offer_id(number, a.get("numero") or str(len(sessions))),
                "title": title[:200],
                "summary": summary[:600],
                "themes": themes,
                "formacode": [c for c in codes_formacode if _FORMACODE.fullmatch(c)][:5],
                "organisation": {"name": trainer or organisation or "Organisme de formation"},
                "places": [place] if place else [],
                "mode": mode,
                "sessions": live,
                "permanent_entry": permanent,
                "eligibility": eligibility,
                "cost": {"free": bool(funders), "funders": funders},
                "languages": ["fr"],
                "contact": action_contact,
                "last_updated": lheo_date(a.get("datemaj")) or updated,
                "source": "lheo",
            }
            pmr = _flag(text(a, "acces-handicapes"))
            if pmr is not None:  # unknown stays unwritten
                data["pmr"] = pmr
            try:
                offer = Offer.model_validate(data)
            except ValidationError as exc:
                report.skipped["invalid data"] += 1
                label = f"action {a.get('numero') or '?'}"
                report.warnings.append(f"{label}: {first_error(exc)}")
                continue
            report.imported += 1
            offers.append(offer)
        return offers

    def _contact(self, c: ET.Element | None) -> dict[str, str]:
        if c is None:
            return {}
        text = self.look.text
        out: dict[str, str] = {}
        phone = text(c, "telfixe/numtel") or text(c, "portable/numtel")
        if phone and _PHONE.match(phone):
            out["phone"] = phone
        email = text(c, "courriel")
        if email and "@" in email and " " not in email:
            out["email"] = email
        url = text(c, "web/urlweb")
        if url and url.startswith(("http://", "https://")):
            out["url"] = url
        return out

    def _place(self, a: ET.Element) -> tuple[dict[str, Any] | None, str]:
        gazetteer = self.gazetteer
        text, find, every = self.look.text, self.look.first, self.look.all
        places = every(a, "lieu-de-formation")
        if not places:
            return None, "no place"
        chosen = places[0]
        for p in places:
            if p.get("tag") == "principal":
                chosen = p
                break
        addr = find(chosen, "coordonnees/adresse")
        if addr is None:
            return None, "no place"
        insee = text(addr, "code-INSEE-commune")
        postal = text(addr, "codepostal")
        lat = text(addr, "geolocalisation/latitude")
        lon = text(addr, "geolocalisation/longitude")
        commune = gazetteer.by_insee(insee) if insee else None
        if commune is None and postal:
            hits = gazetteer.by_postal(postal)
            city = gazetteer.resolve(text(addr, "ville") or "").place
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
            if outside and not self.all_regions:
                return None, "outside the region"
            return None, "no place"
        if self.departments and commune.department not in self.departments:
            return None, "other department"
        place: dict[str, Any] = {
            "address": text(addr, "ligne") or commune.name,
            "insee": commune.insee,
            "postal_code": postal if postal in commune.postal_codes else commune.postal_codes[0],
        }
        try:
            if lat and lon:
                place["lat"], place["lon"] = round(float(lat), 5), round(float(lon), 5)
        except ValueError:
            pass
        return place, ""
