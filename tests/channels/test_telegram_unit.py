"""Fast tests: updates handed over as the poller does, against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.channels.telegram_render import parse_callback, split_text
from bot.resources import Resources
from tests.channels.telegram_helpers import (
    Clock,
    bot_app,
    button,
    callback_for,
    edited,
    feed,
    keyboard_of,
    location,
    message,
    photo,
    texts,
)
from tests.fake_bot_api import FakeBotApi

CHAT = 5551


async def tap(app, api: FakeBotApi, label: str, chat_id: int = CHAT) -> None:  # type: ignore[no-untyped-def]
    data, call = callback_for(api, chat_id, label)
    await feed(app, api, button(chat_id, data, str(call.params.get("text")), keyboard_of(call)))


async def test_start_asks_the_language_with_buttons(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await feed(app, api, message(CHAT, "/start"))
    (sent,) = api.sent(CHAT)
    assert sent.params["text"].startswith("Bonjour ! Je suis Repère.")
    labels = [b["text"] for row in keyboard_of(sent) for b in row]
    assert labels == ["💬 Français", "💬 English", "💬 العربية", "💬 Українська", "💬 فارسی"]
    data = keyboard_of(sent)[0][0]["callback_data"]
    assert parse_callback(data) == ("beneficiary", 2, "language", "fr")
    assert len(data.encode()) <= 64


async def test_a_conversation_with_buttons_location_and_cards(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await feed(app, api, message(CHAT, "/start"))
        await tap(app, api, "Français")
        await tap(app, api, "D'accord")
        place_ask = api.sent(CHAT)[-1]
        markup = place_ask.params["reply_markup"]
        assert markup["keyboard"][0][0] == {
            "text": "📍 Envoyer ma position",
            "request_location": True,
        }
        await feed(app, api, location(CHAT, 46.17, 1.87))
        assert "remove_keyboard" in str(api.sent(CHAT)[-1].params) or any(
            "remove_keyboard" in str(c.params) for c in api.sent(CHAT)[-2:]
        )
        await tap(app, api, "Parler français")
        await tap(app, api, "26 à 49 ans")
        await tap(app, api, "Oui")
        await tap(app, api, "En voiture")
    results = next(c.params for c in api.sent(CHAT) if "▶ <b>" in c.params["text"])
    text = results["text"]
    assert 1 <= text.count("▶ <b>") <= 3  # 2-3 cards in one message, under the limit
    assert len(text) <= 4096 and results["parse_mode"] == "HTML"
    assert "+33 5 36 49" in text  # tap-to-call
    assert "<i>Vous apprenez" in text  # the easy-read summary under the title
    assert '<a href="https://www.openstreetmap.org/?mlat=' in text
    labels = [b["text"] for row in results["reply_markup"]["inline_keyboard"] for b in row]
    assert "➡️ Continuer" in labels  # the question's buttons come with the cards
    # every callback query was answered
    assert len(api.sent(method="answerCallbackQuery")) == 6


async def test_a_stale_button_is_refused(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await feed(app, api, message(CHAT, "/start"))
        old, call = callback_for(api, CHAT, "Français")
        await tap(app, api, "Français")
        await feed(app, api, button(CHAT, old, "Choisissez", keyboard_of(call)))
        (retired,) = api.sent(method="editMessageText")  # its buttons are taken off
        assert "reply_markup" not in retired.params
        await feed(app, api, button(CHAT, "beneficiary.0:consent:yes"))  # an older version
    answers = [c.params.get("text") for c in api.sent(method="answerCallbackQuery")]
    assert answers.count("Ce bouton n'est plus valable.") == 2
    assert texts(api, CHAT)[-1].startswith("Ce bouton n'est plus valable.\n\nJe garde vos réponses")


async def test_photos_voice_and_edits_get_a_kind_re_ask(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await feed(app, api, message(CHAT, "/start"))
        await feed(app, api, photo(CHAT))
        await feed(
            app, api, message(CHAT, voice={"file_id": "v", "file_unique_id": "v", "duration": 2})
        )
        await feed(
            app,
            api,
            message(
                CHAT,
                sticker={
                    "file_id": "s",
                    "file_unique_id": "s",
                    "width": 1,
                    "height": 1,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                },
            ),
        )
        await feed(app, api, edited(CHAT, "Bordeaux"))
    said = texts(api, CHAT)
    unreadable = (
        "Je ne peux pas lire les photos, les sons ou les fichiers. Répondez avec "
        "les boutons ou écrivez.\n\nBonjour ! Je suis Repère."
    )
    assert sum(t.startswith(unreadable) for t in said) == 3  # and the question again
    assert said[-1].startswith(
        "Je ne vois pas les messages modifiés. Envoyez un nouveau message.\n\nBonjour !"
    )


async def test_group_chats_are_sent_to_private(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await feed(app, api, message(-100123, "/start", kind="supergroup"))
    (sent,) = api.sent(-100123)
    assert sent.params["text"] == "Bonjour ! Écrivez-moi en privé, c'est plus simple."
    assert keyboard_of(sent)[0][0]["url"] == "https://t.me/repere_test_bot"


async def test_commands_at_every_step(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await feed(app, api, message(CHAT, "/start"))
        await tap(app, api, "Français")
        await feed(app, api, message(CHAT, "/aide"))
        assert texts(api, CHAT)[-1].startswith("Vos réponses servent à trouver des idées")
        await feed(app, api, message(CHAT, "/retour"))
        assert texts(api, CHAT)[-1].startswith("Bonjour ! Je suis Repère.")
        await tap(app, api, "Français")
        await feed(app, api, message(CHAT, "/langue"))
        await tap(app, api, "English")
        assert texts(api, CHAT)[-1].startswith("I keep your answers")
        await feed(app, api, message(CHAT, "/recommencer"))
        assert texts(api, CHAT)[-1].startswith("We start again from the beginning.\n\n")


async def test_deep_link_presets_the_department(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (repere, app):
        await feed(app, api, message(CHAT, "/start limoges"))
        record = await repere.store.get(f"tg:{CHAT}")
        assert record.state is not None
        assert record.state.context == {"department": "87", "source": "limoges"}
        await tap(app, api, "Français")
        await tap(app, api, "D'accord")
        await feed(app, api, message(CHAT, "Saint-Paul"))  # three homonyms: 87 wins
        record = await repere.store.get(f"tg:{CHAT}")
        assert record.state is not None and record.state.step == "need"
        await feed(app, api, message(CHAT + 1, "/start inconnu-benevole"))
        other = await repere.store.get(f"tg:{CHAT + 1}")
        assert other.state is not None and other.state.flow == "volunteer"


async def test_oubli_erases_after_confirmation(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (repere, app):
        await feed(app, api, message(CHAT, "/start"))
        await feed(app, api, message(CHAT, "/oubli"))
        assert (await repere.store.get(f"tg:{CHAT}")).state is not None  # nothing before the button
        await tap(app, api, "Oui, tout effacer")
        assert (await repere.store.get(f"tg:{CHAT}")).state is None
    assert texts(api, CHAT)[-1].startswith("C'est effacé.")


async def test_a_redelivered_update_is_not_applied_twice(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    from telegram import Update

    async with bot_app(api, resources, tmp_path / "r.db") as (repere, app):
        await feed(app, api, message(CHAT, "/start"))
        data, _call = callback_for(api, CHAT, "Français")
        update = Update.de_json({"update_id": 77, **button(CHAT, data)}, app.bot)
        await app.process_update(update)
        before = len(api.sent(CHAT))
        await app.process_update(update)  # the same update again
        assert len(api.sent(CHAT)) == before
        assert (await repere.store.get(f"tg:{CHAT}")).last_update_id == 77


async def test_reminder_after_a_day_of_silence_once(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    clock = Clock()
    async with bot_app(api, resources, tmp_path / "r.db", clock) as (_repere, app):
        await feed(app, api, message(CHAT, "/start"))
        assert await app.tick() == 0
        clock.now += timedelta(hours=25)
        assert await app.tick() == 1
        assert await app.tick() == 0  # only one reminder
    said = texts(api, CHAT)
    assert said[-1].startswith("Bonjour ! Vous n'avez pas fini. On continue ?\n\n")


async def test_reload_keeps_the_running_version_on_a_broken_file(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    from bot.yamlsrc import DataError, Problem

    def broken() -> Resources:
        raise DataError([Problem("catalogue/offers/23.yaml", 12, "unknown key 'titel'")])

    async with bot_app(api, resources, tmp_path / "r.db", admin_ids=frozenset({CHAT})) as (
        repere,
        app,
    ):
        repere.admin.load = broken
        await feed(app, api, message(CHAT, "/reload"))
        assert repere.res is resources
        assert "catalogue/offers/23.yaml:12: unknown key 'titel'" in texts(api, CHAT)[-1]
        repere.admin.load = lambda: resources
        await feed(app, api, message(CHAT, "/reload"))
        assert texts(api, CHAT)[-1].startswith("Catalogue et questions rechargés")
        await feed(app, api, message(CHAT + 5, "/reload"))  # not an admin
        assert texts(api, CHAT + 5)[-1] == "Cette commande est réservée aux coordinateurs."


def test_long_texts_are_split_under_the_limit() -> None:
    text = "\n".join(f"ligne {i} " + "x" * 90 for i in range(200))
    parts = split_text(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    assert all(len(p) <= 4096 for p in split_text("y" * 10000))


async def test_an_error_is_told_kindly_and_logged_without_personal_data(
    api: FakeBotApi, resources: Resources, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (repere, app):
        await feed(app, api, message(CHAT, "/start"))

        def broken(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("boom with Jeanne Dupont's secret")

        repere.engine.handle = broken  # type: ignore[method-assign]
        with caplog.at_level("ERROR", logger="repere.telegram"):
            await feed(app, api, message(CHAT, "Jeanne Dupont, 06 12 34 56 78"))
        record = await repere.store.get(f"tg:{CHAT}")
    assert texts(api, CHAT)[-1] == (
        "Oups, un problème. Vos réponses sont gardées. Réessayez dans un moment."
    )
    assert record.state is not None and record.state.step == "language"  # nothing lost
    logged = "\n".join(caplog.text.splitlines())  # the formatted records, tracebacks included
    assert "RuntimeError at test_telegram_unit.py" in logged
    assert "Jeanne" not in logged and "06 12 34 56 78" not in logged
