"""`repere run`: the Telegram bot, by long polling (default) or webhook."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from dataclasses import replace
from typing import Any

from telegram.error import InvalidToken, NetworkError

from bot.commands.common import report_data_error
from bot.config import Settings
from bot.logs import configure_logging
from bot.resources import load_resources, settle
from bot.yamlsrc import DataError


def settings_from(args: argparse.Namespace) -> Settings:
    base = Settings.from_env()
    db, dsn = Settings.database(args.db) if args.db else (base.db, base.dsn)
    return replace(
        base,
        token=args.token or base.token,
        db=db,
        dsn=dsn,
        base_url=args.base_url or base.base_url,
        admin_ids=Settings.parse_admins(args.admin_ids) if args.admin_ids else base.admin_ids,
        webhook_url=args.webhook,
        listen=args.listen,
        port=args.port,
        secret_token=args.secret_token,
    )


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
    except ValueError as exc:  # REPERE_ADMIN_IDS or REPERE_EXPIRY_DAYS that are not numbers
        print(
            f"bad setting: {exc}. REPERE_ADMIN_IDS takes Telegram user ids separated by "
            "commas; REPERE_EXPIRY_DAYS a number of days; REPERE_EVENTS_MONTHS a number of "
            "months; REPERE_TICK_SECONDS and REPERE_PG_LEASE a number of seconds.",
            file=sys.stderr,
        )
        return 2
    if not settings.token:
        print(
            "No Telegram token. Get one from @BotFather, then set TELEGRAM_BOT_TOKEN "
            "(or pass --token).",
            file=sys.stderr,
        )
        return 2
    try:
        resources = load_resources(args.catalogue, args.flows)
    except DataError as exc:
        return report_data_error(exc)
    if settings.webhook_url and not settings.secret_token:
        print(
            "Webhook mode needs a secret: pass --secret-token (e.g. $(openssl rand -hex 32)); "
            "Telegram sends it with every update and anything without it is refused.",
            file=sys.stderr,
        )
        return 2
    settle()
    configure_logging(settings)
    try:
        return asyncio.run(serve(settings, resources, args))
    except InvalidToken:
        print(
            "Telegram refused the token. Check TELEGRAM_BOT_TOKEN (or --token) with @BotFather.",
            file=sys.stderr,
        )
        return 1
    except NetworkError as exc:  # its type only: a message could quote the URL, token inside
        print(f"Telegram cannot be reached ({type(exc).__name__}).", file=sys.stderr)
        return 1


async def serve(settings: Settings, resources: Any, args: argparse.Namespace) -> int:
    """Open the store, start the bot, take updates until SIGTERM or SIGINT."""
    from bot.channels.telegram import Repere, make_bot
    from bot.channels.telegram_poll import Webhook, polling
    from bot.privacy import Pseudonyms
    from bot.storage.open import StorageUnreachable, open_storage

    if settings.dsn and not settings.pseudonym_key:
        print(
            "PostgreSQL needs REPERE_PSEUDONYM_KEY (the same on every instance): e.g. "
            "$(openssl rand -hex 32), kept with the database's backups.",
            file=sys.stderr,
        )
        return 2
    try:
        pseudonyms = Pseudonyms.from_setting(settings.pseudonym_key, settings.db)
    except (OSError, ValueError) as exc:
        print(f"pseudonym key: {exc}", file=sys.stderr)
        return 2
    try:
        store, records = await open_storage(settings)
    except StorageUnreachable as exc:
        print(exc, file=sys.stderr)
        return 1
    bot = make_bot(settings)

    def reload() -> Any:
        return load_resources(args.catalogue, args.flows)

    repere = Repere(
        resources,
        store,
        settings,
        bot,
        reload=reload,
        records=records,
        pseudonyms=pseudonyms,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(repere.reload()))
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await bot.initialize()  # getMe: a rejected token stops here
        await repere.start(settings.tick_every)
        if settings.webhook_url:
            assert settings.secret_token is not None
            hook = Webhook(repere, settings.webhook_url.rsplit("/", 1)[-1], settings.secret_token)
            await hook.start(settings.listen, settings.port)
            await bot.set_webhook(settings.webhook_url, secret_token=settings.secret_token)
            await stop.wait()
            await hook.close()
        else:
            async with polling(repere) as poller:
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({poller, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
    finally:
        await repere.stop()
        with contextlib.suppress(Exception):
            await bot.shutdown()
    return 0
