"""Right-to-left texts (Arabic, Persian) that keep numbers, dates and French names in order.

Telegram picks a paragraph's direction from its first strong character, and a French name or a
number inside Arabic text can swap places with its neighbours. Each left-to-right run (Latin
words, digits, phone numbers, e-mail addresses, dates) is wrapped in Unicode isolates
(LRI … PDI), and each line starts with a right-to-left mark so it reads from the right.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.dialogue.replies import Ask, Card, Reply, Results, Say

LRI = "\u2066"  # left-to-right isolate
PDI = "\u2069"  # pop directional isolate
RLM = "\u200f"  # right-to-left mark
_LATIN = r"A-Za-z\u00c0-\u024f0-9€@/+"
_LTR_RUN = re.compile(rf"[{_LATIN}](?:[{_LATIN}.,:;'’()\-–=_ ]*[{_LATIN})])?")


def isolate(text: str) -> str:
    """Wrap left-to-right runs in isolates; start every line right to left."""
    if LRI in text:
        return text  # done already
    lines = [_LTR_RUN.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", line) for line in text.split("\n")]
    return "\n".join(f"{RLM}{line}" if line else line for line in lines)


def _card(card: Card) -> Card:
    return replace(
        card,
        title=isolate(card.title),
        reason=isolate(card.reason),
        lines=tuple((isolate(label), isolate(value)) for label, value in card.lines),
    )


def right_to_left(replies: list[Reply]) -> list[Reply]:
    """The same replies, ready to be read right to left."""
    out: list[Reply] = []
    for reply in replies:
        if isinstance(reply, Say):
            out.append(Say(isolate(reply.text)))
        elif isinstance(reply, Ask):
            options = tuple(replace(o, label=isolate(o.label)) for o in reply.options)
            out.append(replace(reply, text=isolate(reply.text), options=options))
        elif isinstance(reply, Results):
            cards = tuple(_card(c) for c in reply.cards)
            out.append(replace(reply, text=isolate(reply.text), cards=cards))
        else:  # actions for the channel, not read by the person
            out.append(reply)
    return out
