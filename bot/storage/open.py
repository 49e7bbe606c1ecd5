"""The store and records that the settings name: a SQLite file (default) or PostgreSQL."""

from __future__ import annotations

from bot.config import Settings
from bot.records import Records
from bot.store import SqliteStore, Store


class StorageUnreachable(Exception):
    """The database server cannot be used (its address is not repeated: it may hold a
    password)."""


async def open_storage(settings: Settings) -> tuple[Store, Records]:
    if settings.dsn:
        import asyncpg

        from bot.storage.pg_records import PgRecords
        from bot.storage.postgres import PostgresStore

        try:
            pg = await PostgresStore.open(
                settings.dsn, settings.expiry, settings.remind_after, lease=settings.pg_lease
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StorageUnreachable(
                f"PostgreSQL cannot be used ({type(exc).__name__}): check REPERE_DB."
            ) from exc
        return pg, PgRecords(pg.pool)
    store = await SqliteStore.open(settings.db, settings.expiry, settings.remind_after)
    return store, Records(store.db)
