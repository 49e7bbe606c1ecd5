"""Easy-read (FALC) check of the catalogue text people read on a card.

The rules are the flows' (`flows/falc.yaml`, applied by `bot.dialogue.lint.falc_faults`): the
caller passes the check so that the catalogue does not depend on the dialogue. Every fault is a
warning with its `path:line`; offers imported from LHEO are left out (they are not edited by
hand: the next import would replace them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bot.catalogue.model import Offer
from bot.yamlsrc import Loc, Problem, Source

Check = Callable[[str], list[str]]  # one French text -> its faults


def read_texts(offer: Offer, i: int) -> Iterator[tuple[Loc, str]]:
    """The texts of one offer that a card shows, with where they are in the file."""
    at: Loc = ("offers", i)
    yield (*at, "title"), offer.title
    yield (*at, "summary"), offer.summary
    if offer.contact.how_to_register:
        yield (*at, "contact", "how_to_register"), offer.contact.how_to_register
    for j, document in enumerate(offer.documents):
        yield (*at, "documents", j), document


def falc_warnings(offers: list[tuple[Offer, Source, int]], check: Check) -> list[Problem]:
    out: list[Problem] = []
    for offer, source, i in offers:
        if offer.source == "lheo":
            continue
        for loc, text in read_texts(offer, i):
            out += [
                source.problem(loc, f"{offer.id}: {fault}", warning=True) for fault in check(text)
            ]
    return out
