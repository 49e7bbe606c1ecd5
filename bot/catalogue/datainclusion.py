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
import re
from collections.abc import Iterable, Iterator
from typing import Any

from data_inclusion.schema.v1 import Service, Structure
from pydantic import TypeAdapter, ValidationError

from bot.catalogue.datainclusion_merge import Item
from bot.catalogue.datainclusion_offer import (
    DiReport,
    DiScope,
    OfferMapper,
    StructureInfo,
    di_id,
    phone,
)
from bot.catalogue.datainclusion_read import Malformed, Record

__all__ = ["DiReport", "DiScope", "StructureInfo", "di_id", "read_services", "read_structures"]


def read_structures(records: Iterable[Record], report: DiReport) -> dict[str, StructureInfo]:
    out: dict[str, StructureInfo] = {}
    for record in records:
        if isinstance(record, Malformed):
            report.skipped[f"structure: malformed {record.what}"] += 1
            continue
        try:
            s = Structure.model_validate(_repaired(record, report))
        except ValidationError as exc:
            report.skipped[f"structure: {_reason(exc)}"] += 1
            continue
        out[s.id] = StructureInfo(
            name=s.nom,
            networks=tuple(sorted(r.value for r in s.reseaux_porteurs or ())),
            phone=phone(s.telephone),
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
) -> Iterator[Item]:
    """Offers one by one, as the import's items, in the records' order; what is skipped goes
    to `report`."""
    mapper = OfferMapper(scope, structures)
    for record in records:
        report.read += 1
        if isinstance(record, Malformed):
            report.skipped[f"malformed {record.what}"] += 1
            report.warn(f"line {record.line}: malformed {record.what}")
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
        item = mapper.item(service, commune, report)
        if item is not None:
            report.imported += 1
            yield item


def _repaired(record: dict[str, Any], report: DiReport) -> dict[str, Any]:
    """A decimal comma in the coordinates ("45,83") is read as the number it means."""
    for key in ("latitude", "longitude"):
        value = record.get(key)
        if isinstance(value, str) and "," in value:
            record[key] = value.replace(",", ".", 1)
            report.warn(f"record {record.get('id', '?')}: {key} '{value}' read with a point")
    return record


class _Service(Service):  # type: ignore[misc]  # the schema package ships no types
    """The schema's `Service` with its e-mail taken as text: checked by `_email`, which says
    when the schema's own check (by `email-validator`, costly) surely passes."""

    courriel: str | None = None


def _validated(record: dict[str, Any]) -> Any:
    """The record as a schema `Service`. The e-mail check is the schema's own (pydantic's
    EmailStr, by `email-validator`) but its costly half, the domain, is checked once per
    domain: a plain local part ("prenom.nom") before a domain the schema accepted is valid."""
    email = record.get("courriel")
    normal = _email(email) if isinstance(email, str) else None
    if email is not None and normal is None:
        return Service.model_validate(record)  # the schema says why, if it refuses it
    service = _Service.model_validate(record)
    if normal != email:
        service.courriel = normal
    return service


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
