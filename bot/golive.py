"""The go-live checks of `repere doctor`: what still looks like sample data or a test set-up.

Each check returns findings: a staff message key (French, in flows/messages.yaml), its fields,
and whether it blocks going live. Nothing here prints; `bot/commands/doctor.py` does.
"""

from __future__ import annotations

import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bot.catalogue.centres import Centres
from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.model import Offer
from bot.dbfile import SIDE_FILES
from bot.yamlsrc import Problem, Source

# ARCEP's numbers reserved for fiction (01 99 00, 02 61 91, 03 53 01, 04 65 71, 05 36 49,
# 06 39 98, 07 …): never a real line
_FICTION = re.compile(
    r"^(?:\+33|0)\s*(?:1\s*99\s*00|2\s*61\s*91|3\s*53\s*01|4\s*65\s*71|5\s*36\s*49|6\s*39\s*98)"
)
_EXAMPLE_MAIL = re.compile(r"@(?:[\w-]+\.)*example\.(?:org|com|net)\b", re.I)
_SAMPLE_WORD = "(exemple)"
PLACEHOLDER = "À COMPLÉTER"
SHOWN = 5  # examples named per finding


@dataclass(frozen=True)
class Finding:
    key: str
    blocking: bool
    fields: dict[str, object] = field(default_factory=dict)


def _some(names: list[str]) -> str:
    more = f" … (+{len(names) - SHOWN})" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def sample_offers(offers: list[Offer]) -> list[Finding]:
    out: list[Finding] = []
    samples = [o.id for o in offers if o.source == "example" or _SAMPLE_WORD in o.organisation.name]
    if samples:
        out.append(
            Finding("doctor_sample_offers", True, {"n": len(samples), "ids": _some(samples)})
        )
    phones = [o.id for o in offers if o.contact.phone and _FICTION.match(o.contact.phone)]
    if phones:
        out.append(Finding("doctor_fiction_phones", True, {"n": len(phones), "ids": _some(phones)}))
    mails = [o.id for o in offers if o.contact.email and _EXAMPLE_MAIL.search(o.contact.email)]
    if mails:
        out.append(Finding("doctor_example_mails", True, {"n": len(mails), "ids": _some(mails)}))
    return out


def sample_centres(centres: Centres) -> list[Finding]:
    names = []
    for code in centres:
        centre = centres.get(code)
        if centre is not None and (
            _SAMPLE_WORD in centre.name or "l'Exemple" in (centre.address or "")
        ):
            names.append(code)
    if not names:
        return []
    return [Finding("doctor_sample_centres", True, {"n": len(names), "codes": _some(names)})]


def groups(centres: Centres, gazetteer: Gazetteer) -> list[Finding]:
    """Departments of the region whose handoffs reach no volunteers' group."""
    region = sorted(d for d in gazetteer.departments if gazetteer.in_region(d))
    covered = {d for d in region if centres.group(d) is not None}
    for code in centres:
        centre = centres.get(code)
        if centre is not None and centre.group_chat_id:
            covered.add(centre.department)
    if not covered:
        return [Finding("doctor_no_group", True)]
    missing = [f"{gazetteer.department_name(d)} ({d})" for d in region if d not in covered]
    if not missing:
        return [Finding("doctor_groups_ok", False)]
    return [Finding("doctor_missing_groups", False, {"n": len(missing), "names": _some(missing)})]


def pseudonym_key(env: dict[str, str], db: Path) -> list[Finding]:
    key = env.get("REPERE_PSEUDONYM_KEY") or ""
    if key:
        if len(key.encode()) < 16:
            return [Finding("doctor_key_short", True)]
        return [Finding("doctor_key_ok", False)]
    key_file = db.with_name(db.name + ".key")
    if key_file.exists():
        return [Finding("doctor_key_auto", True, {"path": key_file})]
    return [Finding("doctor_key_missing", True)]


def database(db: Path) -> list[Finding]:
    if not db.exists():
        return [Finding("doctor_db_new", False, {"path": db})]
    wide = []
    for path in (db, *(db.with_name(db.name + s) for s in (*SIDE_FILES, ".key"))):
        if path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
            wide.append(path.name)
    if wide:
        return [Finding("doctor_db_open", True, {"path": db, "files": ", ".join(wide)})]
    return [Finding("doctor_db_ok", False, {"path": db})]


def notices(paths: list[Path]) -> list[Finding]:
    """PRIVACY.md and its translations: placeholders left, the example contact."""
    texts = {p.name: p.read_text(encoding="utf-8") for p in paths if p.exists()}
    out = []
    if open_ := [name for name, text in texts.items() if PLACEHOLDER in text]:
        out.append(Finding("doctor_privacy_placeholder", True, {"files": ", ".join(open_)}))
    if example := [name for name, text in texts.items() if _EXAMPLE_MAIL.search(text)]:
        out.append(Finding("doctor_privacy_example", True, {"files": ", ".join(example)}))
    return out


def settings(env: dict[str, str]) -> list[Finding]:
    out = []
    if not env.get("TELEGRAM_BOT_TOKEN"):
        out.append(Finding("doctor_no_token", False))
    if not env.get("REPERE_ADMIN_IDS"):
        out.append(Finding("doctor_no_admins", False))
    if not env.get("REPERE_BOT_USERNAME"):
        out.append(Finding("doctor_no_username", False))
    return out


def problems(kind: str, found: list[Problem]) -> list[Finding]:
    """Catalogue or flows problems: errors block, warnings are listed."""
    errors = [p for p in found if not p.warning]
    warnings = len(found) - len(errors)
    out = []
    if errors:
        first = "; ".join(str(p) for p in errors[:3])
        out.append(Finding(f"doctor_{kind}_errors", True, {"n": len(errors), "first": first}))
    if warnings:
        out.append(Finding(f"doctor_{kind}_warnings", False, {"n": warnings}))
    if not found:
        out.append(Finding(f"doctor_{kind}_ok", False))
    return out


def offers_of(read: list[tuple[Offer, Source, int]]) -> list[Offer]:
    return [offer for offer, _source, _i in read]
