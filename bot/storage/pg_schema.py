"""PostgreSQL's schema: versioned migrations, applied under an advisory lock so that
instances starting together migrate once. Times are ISO-8601 UTC text, as in SQLite, so both
engines compare and store them alike."""

from __future__ import annotations

import asyncpg

MIGRATIONS_LOCK = 0x52455045  # "REPE": one instance migrates at a time

# Each migration moves the schema one version up; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    # 1: the same tables as SQLite's version 4, plus who holds an inbox/outbox row (an
    # instance), and the instances alive (a row they refresh)
    """
    CREATE TABLE conversations (
        key TEXT PRIMARY KEY,
        flow TEXT NOT NULL,
        state TEXT NOT NULL,
        last_update_id BIGINT NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        remind_at TEXT,
        expires_at TEXT NOT NULL,
        follow_at TEXT,
        handoff BIGINT
    );
    CREATE INDEX conversations_remind ON conversations (remind_at);
    CREATE INDEX conversations_expires ON conversations (expires_at);
    CREATE INDEX conversations_follow ON conversations (follow_at);
    CREATE INDEX conversations_handoff ON conversations (handoff);
    CREATE TABLE events (
        id BIGSERIAL PRIMARY KEY,
        day TEXT NOT NULL,
        person TEXT NOT NULL,
        run TEXT NOT NULL,
        flow TEXT NOT NULL,
        name TEXT NOT NULL,
        step TEXT,
        value TEXT,
        department TEXT,
        centre TEXT,
        theme TEXT,
        offer TEXT
    );
    CREATE INDEX events_day ON events (day);
    CREATE INDEX events_person ON events (person);
    CREATE TABLE event_counts (
        month TEXT NOT NULL,
        flow TEXT NOT NULL,
        name TEXT NOT NULL,
        step TEXT,
        value TEXT,
        department TEXT,
        centre TEXT,
        theme TEXT,
        offer TEXT,
        count BIGINT NOT NULL
    );
    CREATE TABLE handoffs (
        id BIGSERIAL PRIMARY KEY,
        day TEXT NOT NULL,
        person TEXT NOT NULL,
        department TEXT,
        centre TEXT,
        group_chat_id BIGINT NOT NULL,
        message_id BIGINT,
        status TEXT NOT NULL,
        taken_by TEXT,
        updated_at TEXT NOT NULL,
        token TEXT UNIQUE
    );
    CREATE INDEX handoffs_person ON handoffs (person);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE inbox (
        channel TEXT NOT NULL,
        update_id BIGINT NOT NULL,
        payload TEXT NOT NULL,
        owner TEXT,
        PRIMARY KEY (channel, update_id)
    );
    CREATE TABLE outbox (
        id BIGSERIAL PRIMARY KEY,
        key TEXT NOT NULL,
        action TEXT NOT NULL,
        owner TEXT
    );
    CREATE TABLE confirmations (key TEXT PRIMARY KEY, nonce TEXT NOT NULL);
    CREATE TABLE instances (id TEXT PRIMARY KEY, seen TIMESTAMPTZ NOT NULL);
    """,
)


async def migrate(conn: asyncpg.Connection) -> int:
    """Bring the schema up to date; returns the version reached."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATIONS_LOCK)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS repere_schema (version INTEGER NOT NULL)")
        version = await conn.fetchval("SELECT max(version) FROM repere_schema") or 0
        for n, script in enumerate(MIGRATIONS[version:], start=version + 1):
            async with conn.transaction():
                await conn.execute(script)
                await conn.execute("INSERT INTO repere_schema (version) VALUES ($1)", n)
        return len(MIGRATIONS)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATIONS_LOCK)
