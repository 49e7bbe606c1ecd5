"""Deep links into the bot: t.me/<bot>?start=<centre code>, "-benevole" for the checklist."""

from __future__ import annotations

VOLUNTEER_SUFFIX = "-benevole"


def deep_link(bot_username: str, centre: str, volunteer: bool = False) -> str:
    payload = centre + (VOLUNTEER_SUFFIX if volunteer else "")
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"
