"""When no offer fits: never a bare "rien trouvé", but what the person can do next.

- the offers that registering at France Travail would open (when the person said they are not
  registered), with how to register;
- under 26, the Mission locale;
- with "from home" and no course at a distance, that moving opens more;
- the nearest Restos du Cœur centre and the volunteer handoff.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.catalogue.centres import Centres
from bot.matching import Matcher, Profile, Travel
from bot.messages import Messages

MISSION_LOCALE_AGE = 26  # the Missions locales take young people up to 25
MAX_TITLES = 3


def way_forward(
    profile: Profile,
    matcher: Matcher,
    centres: Centres,
    messages: Messages,
    lang: str,
    today: date,
    centre_code: str | None = None,
) -> str:
    """The lines that replace an empty result, in the person's language."""
    lines = [messages.get("way_none", lang)]
    if profile.jobseeker is False:
        opened = matcher.suggest(replace(profile, jobseeker=True), today, MAX_TITLES).suggestions
        if opened:
            titles = " ; ".join(f"« {s.offer.title} »" for s in opened)
            lines.append(messages.get("way_france_travail", lang, titles=titles))
    if profile.age is not None and profile.age < MISSION_LOCALE_AGE:
        lines.append(messages.get("way_mission_locale", lang))
    if profile.travel is Travel.HOME:
        lines.append(messages.get("way_not_remote", lang))
    lines.append(
        centre_line(centres, messages, lang, profile.place.department, centre_code, "way_centre")
    )
    lines.append(messages.get("way_volunteer", lang))
    return "\n\n".join(lines)


def centre_line(
    centres: Centres,
    messages: Messages,
    lang: str,
    department: str | None,
    centre_code: str | None,
    key: str,
) -> str:
    """The nearest Restos centre, its address and hours, in the words of message `key`; or a
    general word where the department has none."""
    near = centres.near(department, centre_code)
    if near is None:
        return messages.get("handoff_no_centre", lang)
    _, centre = near
    return messages.get(
        key,
        lang,
        centre=centre.name,
        address=centre.address or "",
        hours=centre.hours or messages.get("handoff_hours_unknown", lang),
    )
