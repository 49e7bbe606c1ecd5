"""The engine's replies as Telegram messages: texts under 4,096 characters, inline keyboards
with versioned callback data, a location button on place steps, one card per suggestion.

Keyboards are built straight as the Bot API's JSON (`reply_markup`), the form the outbox
stores: python-telegram-bot's objects, built and then turned back into JSON, cost a third of
a millisecond a turn.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.dialogue.replies import Ask, Card, Reply, Results, Say, button_payload
from bot.messages import Messages

MAX_TEXT = 4096
MAX_CALLBACK = 64
MAX_PER_ROW = 8
SHORT_LABEL = 16  # two buttons a row when labels are this short

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None
# a keyboard as the Bot API's JSON, or (from callers outside the turn) as PTB's object
Keyboard = dict[str, Any] | Markup
REMOVE_KEYBOARD: dict[str, Any] = {"remove_keyboard": True}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send."""

    text: str
    markup: Keyboard = None
    html: bool = False


def callback(flow: str, version: int, step: str, choice: str) -> str:
    data = button_payload(flow, version, step, choice)
    if len(data.encode()) > MAX_CALLBACK:  # `repere flows check` prevents this for flows
        data = data.encode()[:MAX_CALLBACK].decode(errors="ignore")
    return data


def parse_callback(data: str) -> tuple[str, int, str, str] | None:
    """(flow, version, step, choice) of a button, or None for a foreign one."""
    try:
        head, step, choice = data.split(":", 2)
        flow, version = head.rsplit(".", 1)
        return flow, int(version), step, choice
    except ValueError:
        return None


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a long text at line ends (or, failing that, anywhere) under `limit` characters."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current:
        parts.append(current)
    return [p.rstrip("\n") for p in parts if p.strip()]


def button(text: str, data: str) -> dict[str, Any]:
    """An inline button carrying callback data (JSON)."""
    return {"text": text, "callback_data": data}


def inline(rows: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """An inline keyboard (JSON)."""
    return {"inline_keyboard": rows}


def keyboard(ask: Ask, flow: str, version: int) -> dict[str, Any]:
    rows: list[list[dict[str, Any]]] = []
    short = all(len(o.text) <= SHORT_LABEL for o in ask.options)
    per_row = min(2 if short else 1, MAX_PER_ROW)
    for option in ask.options[:100]:
        one = button(option.text, callback(flow, version, ask.step, option.id))
        if rows and len(rows[-1]) < per_row:
            rows[-1].append(one)
        else:
            rows.append([one])
    return inline(rows)


def _request_keyboard(text: str, request: str) -> dict[str, Any]:
    """One reply-keyboard button asking for the location or the contact (JSON)."""
    return {
        "keyboard": [[{"request_" + request: True, "text": text}]],
        "one_time_keyboard": True,
        "resize_keyboard": True,
    }


def location_keyboard(messages: Messages, lang: str) -> dict[str, Any]:
    return _request_keyboard(messages.get("send_location", lang), "location")


def phone_keyboard(messages: Messages, lang: str) -> dict[str, Any]:
    return _request_keyboard(messages.get("send_phone", lang), "contact")


def plain_messages(texts: list[str]) -> list[Outgoing]:
    """Plain texts (a Markdown file read aloud: no markup), each cut under the size limit."""
    out: list[Outgoing] = []
    for text in texts:
        cleaned = "\n".join(
            line.lstrip("#").strip() if line.startswith("#") else line for line in text.splitlines()
        )
        cleaned = cleaned.replace("**", "")
        out += [Outgoing(part) for part in split_text(cleaned.strip()) if part.strip()]
    return out


def map_url(lat: float, lon: float) -> str:
    return (
        f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=16/{lat:.5f}/{lon:.5f}"
    )


def international(phone: str) -> str:
    """ "05 36 49 00 37" -> "+33 5 36 49 00 37": Telegram makes it a tap-to-call link."""
    digits = phone.replace(" ", "").replace(".", "")
    if digits.startswith("0") and len(digits) == 10:
        rest = digits[1:]
        return "+33 " + rest[0] + " " + " ".join(rest[i : i + 2] for i in range(1, 9, 2))
    return phone


def card_html(card: Card, messages: Messages, lang: str, phone_label: str) -> str:
    """Title, summary, reason, the labelled lines (the map link beside the first, the place),
    and for another language than French the block to show a volunteer."""
    return _card_html(card, phone_label, messages.get("card_map_button", lang))


@functools.lru_cache(maxsize=4096)  # people of one town asking alike are shown the same cards
def _card_html(card: Card, phone_label: str, map_label: str) -> str:
    lines = [f"▶ <b>{html.escape(card.title, quote=False)}</b>"]
    if card.summary:
        lines.append(f"<i>{html.escape(card.summary, quote=False)}</i>")
    lines.append(html.escape(card.reason, quote=False))
    for n, (label, value) in enumerate(card.lines):
        if label == phone_label:
            value = international(value)
        line = f"<b>{html.escape(label, quote=False)}</b> : {html.escape(value, quote=False)}"
        if n == 0 and card.lat is not None and card.lon is not None:
            url = html.escape(map_url(card.lat, card.lon), quote=True)
            line += f' · <a href="{url}">{html.escape(map_label, quote=False)}</a>'
        lines.append(line)
    if card.for_volunteer:
        lines.append(f"<code>{html.escape(card.for_volunteer, quote=False)}</code>")
    return "\n".join(lines)


def render(
    replies: list[Reply],
    flow: str,
    version: int,
    messages: Messages,
    lang: str,
    leaving_place: bool = False,
) -> list[Outgoing]:
    """As few messages as a turn needs: what the bot says joins the question that follows.

    `leaving_place` sends the first text alone, carrying the removal of the location keyboard
    (a message with inline buttons cannot carry it).
    """
    phone_label = messages.get("card_phone", lang)
    out: list[Outgoing] = []
    pending: list[str] = []

    def flush(markup: Keyboard = None) -> None:
        if pending:
            out.extend(_pack(pending, markup))
            pending.clear()

    for reply in replies:
        if not isinstance(reply, Results | Say | Ask):
            continue  # actions (handoff, follow-up) are the adapter's, not shown
        if isinstance(reply, Results):
            pending.append(html.escape(reply.text, quote=False))
            pending.extend(card_html(c, messages, lang, phone_label) for c in reply.cards)
        elif isinstance(reply, Say):
            pending.append(html.escape(reply.text, quote=False))
            if leaving_place and len(out) == 0 and len(pending) == 1:
                flush(REMOVE_KEYBOARD)
        else:
            pending.append(html.escape(reply.text, quote=False))
            if reply.expects == "place":
                flush(location_keyboard(messages, lang))
            elif reply.expects == "phone":
                flush(phone_keyboard(messages, lang))
            elif reply.options:
                flush(keyboard(reply, flow, version))
            else:
                flush()
    flush()
    return out


def _pack(blocks: list[str], markup: Keyboard) -> list[Outgoing]:
    """Blocks joined into messages under the size limit; the markup goes on the last one."""
    texts: list[str] = []
    for block in blocks:
        for piece in split_text(block):
            if texts and len(texts[-1]) + 2 + len(piece) <= MAX_TEXT:
                texts[-1] += "\n\n" + piece
            else:
                texts.append(piece)
    return [
        Outgoing(t, markup if i == len(texts) - 1 else None, html=True) for i, t in enumerate(texts)
    ]
