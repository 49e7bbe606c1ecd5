"""Per idea, what a volunteer needs to act on it: where, the next date one can join, how to
register, what the offer requires first, and the documents the person still lacks.

The documents the person has are the answers of the flow's `documents` step (a `choices`
step): a document the offer asks for counts as there when the French label of a chosen
answer appears in its wording ("Carte Vitale" in "La carte Vitale ou l'attestation de droits").
"""

from __future__ import annotations

from datetime import date

from bot.catalogue.index import compact
from bot.catalogue.model import Location, Offer
from bot.catalogue.text import fold
from bot.dialogue.flow import Flow
from bot.dialogue.state import State
from bot.matching import next_start
from bot.messages import Messages
from bot.reasons import format_date
from bot.resources import Resources

DOCUMENTS_STEP = "documents"
YOUNGEST = 16  # the youngest the flows ask about: a minimum age of 16 says nothing
FRENCH = "fr"


def idea_lines(res: Resources, flow: Flow, offer: Offer, state: State, today: date) -> list[str]:
    m, lang = res.messages, state.lang

    def line(key: str, value: str) -> str:
        return m.get("summary_line", lang, label=m.get(key, lang), value=value)

    place = offer.places[0] if offer.places else None
    out = [line("card_where", offer_address(res, offer, place, lang))]
    out.append(line("idea_next_date", _next_date(offer, m, lang, today)))
    contact = offer.contact
    register = contact.how_to_register or contact.phone or contact.email or contact.url
    if register:
        out.append(line("card_register", register))
    if needs := prerequisites(offer, m, lang):
        out.append(line("idea_prerequisites", "; ".join(needs)))
    if offer.documents:
        missing = missing_documents(flow, offer, state)
        text = "; ".join(missing) if missing else m.get("idea_no_document_missing", lang)
        out.append(line("idea_missing_documents", text))
    return out


def offer_address(res: Resources, offer: Offer, place: Location | None, lang: str) -> str:
    """ "Organisation, 3 rue …, 23000 Guéret", or the organisation and "à distance"."""
    if place is None:
        return f"{offer.organisation.name}, {res.messages.get('card_remote', lang)}"
    commune = res.gazetteer.by_insee(place.insee)
    town = f"{place.postal_code or ''} {commune.name if commune else ''}".strip()
    return f"{offer.organisation.name}, {place.address}, {town}".rstrip(", ")


def _next_date(offer: Offer, m: Messages, lang: str, today: date) -> str:
    start = next_start(compact(0, offer), today.toordinal())
    if start is None:
        return m.get("idea_no_date", lang)
    if start == 0:
        return m.get("reason_anytime", lang)
    return format_date(date.fromordinal(start), m, lang, today)


def prerequisites(offer: Offer, m: Messages, lang: str) -> list[str]:
    e = offer.eligibility
    out = []
    if e.jobseeker_required:
        out.append(m.get("idea_needs_jobseeker", lang))
    if e.rsa_only:
        out.append(m.get("idea_needs_rsa", lang))
    if e.prescription.required:
        by = ", ".join(e.prescription.by) or "?"
        out.append(m.get("summary_line", lang, label=m.get("card_prescription", lang), value=by))
    if e.age_max is not None:
        out.append(m.get("idea_ages", lang, low=e.age_min or YOUNGEST, high=e.age_max))
    elif e.age_min is not None and e.age_min > YOUNGEST:
        out.append(m.get("idea_age_min", lang, low=e.age_min))
    return out


def missing_documents(flow: Flow, offer: Offer, state: State) -> list[str]:
    if not flow.has_step(DOCUMENTS_STEP):
        return list(offer.documents)
    step = flow.step(DOCUMENTS_STEP)
    given = state.answers.get(DOCUMENTS_STEP)
    chosen = set(given) if isinstance(given, list) else set()
    had = [fold(flow.text(c.label, FRENCH)) for c in step.choices if c.id in chosen]
    return [d for d in offer.documents if not any(h and h in fold(d) for h in had)]
