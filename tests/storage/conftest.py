"""Both engines behind one fixture: the contract suite runs against SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.records import Records
from bot.store import SqliteStore, Store

Open = Callable[..., Awaitable[tuple[Store, Records]]]


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Open]:
    """`await engine(**store_options)` opens (again) the same database: a restart."""
    opened: list[tuple[Store, Records]] = []
    if request.param == "sqlite":

        async def open_sqlite(**options: Any) -> tuple[Store, Records]:
            store = await SqliteStore.open(tmp_path / "r.db", **options)
            pair: tuple[Store, Records] = (store, Records(store.db))
            opened.append(pair)
            return pair

        yield open_sqlite
    else:
        from bot.storage.pg_records import PgRecords
        from bot.storage.postgres import PostgresStore
        from tests.pg_server import new_database

        dsn = await new_database(request.getfixturevalue("pg_server"))

        async def open_pg(**options: Any) -> tuple[Store, Records]:
            store = await PostgresStore.open(dsn, **options)
            pair: tuple[Store, Records] = (store, PgRecords(store.pool))
            opened.append(pair)
            return pair

        yield open_pg
    for store, records in opened:
        await records.close()
        await store.close()


DAY = timedelta(days=1)
