"""Privacy by design and the human loop on Telegram, through process_update and the fake
Bot API: consent first, /oubli everywhere, handoffs to the volunteers' group, follow-ups."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.catalogue.centres import Centres, CentresFile
from bot.config import Settings
from bot.logs import configure_logging
from bot.resources import Resources
from tests.channels.telegram_helpers import (
    NOW,
    PSEUDONYMS,
    Clock,
    bot_app,
    button,
    callback_for,
    feed,
    keyboard_of,
    message,
    texts,
)
from tests.fake_bot_api import FakeBotApi

CHAT = 606162636
GROUP_23, GROUP_87 = -1005550023, -1005550087
PHONE = "06 12 34 56 78"
MARIE = {"id": 777, "is_bot": False, "first_name": "Marie"}
PAUL = {"id": 778, "is_bot": False, "first_name": "Paul"}


@pytest.fixture(scope="module")
def with_groups(resources: Resources) -> Resources:
    """The bundled centres, with a volunteers' group for Creuse and one for Haute-Vienne."""
    data = CentresFile.model_validate(
        {
            "groups": {"23": GROUP_23, "87": GROUP_87},
            "centres": {
                "gueret": {
                    "name": "Centre de Guéret (exemple)",
                    "department": "23",
                    "address": "Rue de l'Exemple, 23000 Guéret",
                    "hours": "mardi, 9 h - 12 h",
                }
            },
        }
    )
    return dataclasses.replace(resources, centres=Centres(data))


async def tap(app: Any, api: FakeBotApi, label: str, chat_id: int = CHAT) -> None:
    data, call = callback_for(api, chat_id, label)
    await feed(app, api, button(chat_id, data, str(call.params.get("text")), keyboard_of(call)))


async def say(app: Any, api: FakeBotApi, text: str, chat_id: int = CHAT) -> None:
    await feed(app, api, message(chat_id, text))


async def to_results(app: Any, api: FakeBotApi, consent: str = "D'accord") -> None:
    await say(app, api, "/start")
    await tap(app, api, "Français")
    await tap(app, api, consent)
    await say(app, api, "Guéret")
    await tap(app, api, "Lire, écrire")
    await tap(app, api, "Oui, en France")
    await tap(app, api, "26 à 49")
    await tap(app, api, "Oui")
    await tap(app, api, "En voiture")


async def to_phone(app: Any, api: FakeBotApi) -> None:
    """From the results to the phone question (a group takes the call)."""
    await tap(app, api, "Continuer")
    await tap(app, api, "Un bénévole m'appelle")
    await tap(app, api, "Oui")


async def ask_a_call(app: Any, api: FakeBotApi) -> None:
    await to_phone(app, api)
    await say(app, api, PHONE)
    await tap(app, api, "Le matin")


async def through_summary(app: Any, api: FakeBotApi) -> None:
    """From the results, through the summary, to what comes after it."""
    await tap(app, api, "Continuer")
    await tap(app, api, "Voir le résumé")
    await tap(app, api, "C'est bon")


def tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the database (but the inbox's cursor: a number, no one's;
    and SQLite's own counter of outbox ids)."""
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {n: conn.execute(f"SELECT * FROM {n}").fetchall() for n in names}
    rows["meta"] = [r for r in rows.get("meta", []) if not str(r[0]).startswith("inbox:")]
    rows.pop("sqlite_sequence", None)
    return rows


def tied_to(db: Path, *marks: str) -> list[tuple[str, tuple[Any, ...]]]:
    """Rows, in any table, with a cell that holds one of `marks`."""
    return [
        (table, row)
        for table, rows in tables(db).items()
        for row in rows
        if any(mark in str(cell) for cell in row for mark in marks)
    ]


def group_posts(api: FakeBotApi, group: int) -> list[Any]:
    return api.sent(group)


# -- consent ---------------------------------------------------------------------------------


async def test_nothing_is_kept_before_consent(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, resources, db) as (_repere, app):
        await say(app, api, "/start")
        await tap(app, api, "Français")
        assert "Je garde vos réponses 30 jours" in texts(api, CHAT)[-1]
        kept = {t: rows for t, rows in tables(db).items() if rows and t != "conversations"}
        assert kept == {}
        (row,) = tables(db)["conversations"]  # the live conversation only, short-lived
        assert '"keep"' not in row[2]
        assert row[6] <= (NOW + timedelta(days=2)).isoformat()


async def test_keep_nothing_helps_then_erases_everything(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, resources, db) as (_repere, app):
        await to_results(app, api, consent="Ne rien garder")
        assert "▶" in texts(api, CHAT)[-2] or "▶" in texts(api, CHAT)[-1]  # ideas shown
        assert all(not rows for t, rows in tables(db).items() if t != "conversations")
        await through_summary(app, api)
        assert texts(api, CHAT)[-1].startswith("Merci")
    assert all(not rows for rows in tables(db).values()), tables(db)


async def test_no_thank_you_ends_with_nothing_kept(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, resources, db) as (_repere, app):
        await say(app, api, "/start")
        await tap(app, api, "Français")
        await tap(app, api, "Non merci")
        assert "Je ne garde rien" in texts(api, CHAT)[-1]
    assert all(not rows for rows in tables(db).values())


async def test_consent_counts_anonymously(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, resources, db) as (_repere, app):
        await to_results(app, api)
    events = tables(db)["events"]
    names = [e[4] for e in events]
    assert names[0] == "started" and "suggested" in names
    steps = [e[5] for e in events if e[4] == "step"]
    assert steps[:3] == ["where", "need", "school"] and "results" in steps
    assert {e[1] for e in events} == {PSEUDONYMS.person(CHAT)}
    assert {table for table, _ in tied_to(db, str(CHAT))} == {"conversations"}
    assert all(e[7] == "23" for e in events if e[4] == "suggested")  # filed under Creuse


# -- handoff ---------------------------------------------------------------------------------


async def test_handoff_reaches_the_departments_group_and_its_buttons_work(
    api: FakeBotApi, with_groups: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, with_groups, db) as (repere, app):
        await to_results(app, api)
        await ask_a_call(app, api)
        assert group_posts(api, GROUP_87) == []
        (post,) = group_posts(api, GROUP_23)
        text = str(post.params["text"])
        assert "Guéret" in text and "Lire, écrire, compter" in text and "Le matin" in text
        assert "+33 6 12 34 56 78" in text and "Idée proposée" in text
        assert "C'est envoyé" in texts(api, CHAT)[-1]
        state = (await repere.store.get(f"tg:{CHAT}")).state
        assert state is not None and PHONE not in state.to_json()  # not kept once handed over
        assert not tied_to(db, "12 34 56 78", "0612345678")
        take = keyboard_of(post)[0][0]["callback_data"]
        mid = tables(db)["handoffs"][0][6]  # taps come from that very message

        await feed(
            app, api, button(GROUP_23, take, text, keyboard_of(post), by=MARIE, message_id=mid)
        )
        edit = api.sent(GROUP_23, "editMessageText")[-1]
        assert "Pris en charge par Marie" in str(edit.params["text"])
        assert [b["text"] for b in keyboard_of(edit)[0]] == ["✅ Fait"]
        assert "un bénévole a lu votre demande" in texts(api, CHAT)[-1]

        await feed(
            app, api, button(GROUP_23, take, text, keyboard_of(post), by=PAUL, message_id=mid)
        )
        answer = api.sent(method="answerCallbackQuery")[-1]
        assert answer.params.get("text") == "Déjà pris en charge."

        done = keyboard_of(edit)[0][0]["callback_data"]
        await feed(
            app, api, button(GROUP_23, done, str(edit.params["text"]), by=MARIE, message_id=mid)
        )
        final = str(api.sent(GROUP_23, "editMessageText")[-1].params["text"])
        assert "Fait par Marie" in final and "56 78" not in final
    (row,) = tables(db)["handoffs"]
    assert row[7] == "done" and row[8] == PSEUDONYMS.person(777) and "777" not in str(row)
    names = [e[4] for e in tables(db)["events"]]
    assert {"handoff_asked", "handoff_taken", "handoff_done"} <= set(names)


async def test_without_a_group_the_person_gets_the_centre(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, resources, db) as (_repere, app):
        await to_results(app, api)
        await tap(app, api, "Continuer")
        await tap(app, api, "Un bénévole m'appelle")
        assert "Un bénévole va lire vos réponses" not in texts(api, CHAT)[-1]
        said = texts(api, CHAT)[-1]
    assert "Centre des Restos du Cœur de Guéret (exemple)" in said
    assert "mardi et jeudi" in said and "Rue de l'Exemple" in said
    assert tables(db)["handoffs"] == []


async def test_an_unreachable_group_still_gives_the_centre(
    api: FakeBotApi, with_groups: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, with_groups, db) as (_repere, app):
        await to_results(app, api)
        await to_phone(app, api)
        await say(app, api, PHONE)
        api.fail("sendMessage", 403, {"ok": False, "error_code": 403, "description": "kicked"})
        await tap(app, api, "Le matin")
        said = "\n".join(texts(api, CHAT)[-2:])
    assert "Je n'ai pas pu prévenir les bénévoles" in said and "Centre de Guéret" in said
    assert tables(db)["handoffs"] == []


async def test_a_typed_phone_is_checked_and_a_shared_contact_accepted(
    api: FakeBotApi, with_groups: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, with_groups, tmp_path / "r.db") as (_repere, app):
        await to_results(app, api)
        await to_phone(app, api)
        asked = api.sent(CHAT)[-1]
        contact_button = asked.params["reply_markup"]["keyboard"][0][0]
        assert contact_button["request_contact"] is True
        await say(app, api, "douze")
        assert "Je ne comprends pas ce numéro" in texts(api, CHAT)[-1]
        contact = {"phone_number": "33612345678", "first_name": "X", "user_id": CHAT}
        await feed(app, api, message(CHAT, contact=contact))
        assert "Quand peut-on vous appeler" in texts(api, CHAT)[-1]


# -- /oubli ----------------------------------------------------------------------------------


async def test_oubli_leaves_no_row_tied_to_the_person_in_any_table(
    api: FakeBotApi, with_groups: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, with_groups, db) as (repere, app):
        await to_results(app, api)
        await ask_a_call(app, api)
        await tap(app, api, "🔔")  # the follow-up in 14 days
        await repere.records.flush()  # type: ignore[union-attr]
        marks = (str(CHAT), PSEUDONYMS.person(CHAT))
        found = {table for table, _ in tied_to(db, *marks)}
        assert found == {"conversations", "events", "handoffs"}
        await repere.records.posted(1, 4242)  # type: ignore[union-attr]

        await say(app, api, "/oubli")
        await tap(app, api, "Oui, tout effacer")
        assert texts(api, CHAT)[-1].startswith("C'est effacé.")
    assert tied_to(db, *marks, "56 78") == []
    deleted = api.sent(GROUP_23, "deleteMessage")
    assert [int(c.params["message_id"]) for c in deleted] == [4242]


# -- follow-up -------------------------------------------------------------------------------


async def test_a_follow_up_due_during_downtime_fires_after_a_restart(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    clock = Clock()
    async with bot_app(api, resources, db, clock=clock) as (_repere, app):
        await to_results(app, api)
        await through_summary(app, api)
        assert "14 jours" in texts(api, CHAT)[-1]
        await tap(app, api, "🔔")
    # the bot is down from day 1 to day 20; the follow-up fell due on day 14
    later = Clock(NOW + timedelta(days=20))
    async with bot_app(api, resources, db, clock=later) as (_repere, app):
        assert await app.tick() >= 1
        assert "Avez-vous pu vous inscrire" in texts(api, CHAT)[-1]
        before = len(api.sent(CHAT))
        await app.tick()
        assert len(api.sent(CHAT)) == before  # once only
        await tap(app, api, "❌")
        assert "Qu'est-ce qui a bloqué" in texts(api, CHAT)[-1]
        await tap(app, api, "trop loin")
        assert texts(api, CHAT)[-1].startswith("Merci pour votre réponse")
    answers = [(e[5], e[6]) for e in tables(db)["events"] if e[4] == "answer"]
    assert answers == [("followup", "no"), ("followup_why", "too_far")]


async def test_no_follow_up_without_asking_for_it(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    async with bot_app(api, resources, db) as (_repere, app):
        await to_results(app, api)
        await through_summary(app, api)
        await tap(app, api, "🔕")
    async with bot_app(api, resources, db, clock=Clock(NOW + timedelta(days=20))) as (
        _repere,
        app,
    ):
        before = len(api.sent(CHAT))
        await app.tick()
        assert len(api.sent(CHAT)) == before


# -- what coordinators and people can read -------------------------------------------------


async def test_confidentialite_shows_the_privacy_notice(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await say(app, api, "/confidentialite")
    said = "\n".join(texts(api, CHAT))
    assert "Repère et vos données" in said and "/oubli" in said and "30 jours" in said


async def test_confidentialite_in_the_persons_language(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await say(app, api, "/start")
        await tap(app, api, "English")
        await say(app, api, "/confidentialite")
    said = "\n".join(texts(api, CHAT))
    assert "Repère and your data" in said and "Repère et vos données" not in said


async def test_stats_is_for_admins_and_hides_small_counts(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    admin = 9001
    async with bot_app(api, resources, tmp_path / "r.db", admin_ids=frozenset({admin})) as (
        _repere,
        app,
    ):
        await to_results(app, api)
        await say(app, api, "/stats")
        assert texts(api, CHAT)[-1] == "Cette commande est réservée aux coordinateurs."
        await say(app, api, "/stats", chat_id=admin)
    (stats,) = texts(api, admin)
    assert stats.startswith("Repère — rapport")
    started = next(
        line for line in stats.splitlines() if line.strip().startswith("Mon orientation")
    )
    assert started.split()[-2:] == ["<", "5"]  # one conversation: too few to show


async def test_logs_hold_no_personal_data(
    api: FakeBotApi, with_groups: Resources, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    configure_logging(Settings(token="123:TEST"))  # what `repere run` does
    async with bot_app(api, with_groups, tmp_path / "r.db") as (_repere, app):
        await to_results(app, api)
        await to_phone(app, api)
        await say(app, api, PHONE)
        api.fail("sendMessage", 400, {"ok": False, "error_code": 400, "description": "no"})
        await tap(app, api, "Le matin")  # a failure is logged…
        await app.tick()  # …and the purge
        await say(app, api, "/oubli")
    logged = caplog.text
    assert "not posted: BadRequest" in logged and "purge:" in logged
    for secret in (str(CHAT), "12 34 56 78", "0612345678", "123:TEST", PSEUDONYMS.person(CHAT)):
        assert secret not in logged, secret
    logging.getLogger("httpx").setLevel(logging.NOTSET)
