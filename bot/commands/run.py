"""`repere run`: the Telegram bot, by long polling (default) or webhook."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.commands.common import report_data_error
from bot.config import Settings
from bot.logs import configure_logging
from bot.resources import load_resources, settle
from bot.yamlsrc import DataError


def settings_from(args: argparse.Namespace) -> Settings:
    base = Settings.from_env()
    return replace(
        base,
        token=args.token or base.token,
        db=Path(args.db) if args.db else base.db,
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
            "months.",
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
    settle()
    configure_logging(settings)
    from bot.channels.telegram import Repere, build_application
    from bot.privacy import Pseudonyms
    from bot.records import Records
    from bot.store import SqliteStore

    try:
        pseudonyms = Pseudonyms.from_setting(settings.pseudonym_key, settings.db)
    except (OSError, ValueError) as exc:
        print(f"pseudonym key: {exc}", file=sys.stderr)
        return 2
    store = asyncio.run(SqliteStore.open(settings.db, settings.expiry, settings.remind_after))

    def reload() -> Any:
        return load_resources(args.catalogue, args.flows)

    repere = Repere(
        resources, store, settings, reload=reload, records=Records(store.db), pseudonyms=pseudonyms
    )
    app = build_application(repere, settings)

    async def on_sighup(_app: Any) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(repere.reload()))

    previous = app.post_init

    async def post_init(a: Any) -> None:
        if previous is not None:
            await previous(a)
        await on_sighup(a)

    app.post_init = post_init
    if settings.webhook_url:
        app.run_webhook(
            listen=settings.listen,
            port=settings.port,
            url_path=settings.webhook_url.rsplit("/", 1)[-1],
            webhook_url=settings.webhook_url,
            secret_token=settings.secret_token,
        )
    else:
        app.run_polling()
    return 0
