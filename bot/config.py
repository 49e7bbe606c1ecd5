"""Settings of `repere run`, from the environment or the same as flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    token: str | None = None
    db: Path = Path("repere.db")
    base_url: str | None = None  # a self-hosted Bot API server, e.g. http://127.0.0.1:8081/bot
    admin_ids: frozenset[int] = field(default_factory=frozenset)
    expiry: timedelta = timedelta(days=30)
    remind_after: timedelta = timedelta(hours=24)
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str | None = None
    pseudonym_key: str | None = None  # HMAC key of the pseudonyms (else a key file by the DB)
    events_months: int = 24  # anonymous events, then only monthly counts
    dsn: str | None = None  # REPERE_DB=postgresql://…: PostgreSQL instead of the SQLite file
    tick_every: float = 60.0  # seconds between two rounds of scheduled work
    pg_lease: float = 10.0  # PostgreSQL: an instance silent this long is gone (rows adopted)

    @staticmethod
    def database(value: str | None) -> tuple[Path, str | None]:
        """(SQLite file, PostgreSQL DSN) that REPERE_DB or --db names."""
        if value and value.startswith(("postgresql://", "postgres://")):
            return Path("repere.db"), value
        return Path(value or "repere.db"), None

    @staticmethod
    def parse_admins(text: str | None) -> frozenset[int]:
        if not text:
            return frozenset()
        return frozenset(int(part) for part in text.replace(";", ",").split(",") if part.strip())

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ) if env is None else env
        db, dsn = cls.database(env.get("REPERE_DB"))
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            db=db,
            dsn=dsn,
            tick_every=float(env.get("REPERE_TICK_SECONDS") or 60),
            pg_lease=float(env.get("REPERE_PG_LEASE") or 10),
            base_url=env.get("REPERE_BASE_URL") or None,
            admin_ids=cls.parse_admins(env.get("REPERE_ADMIN_IDS")),
            expiry=timedelta(days=int(env.get("REPERE_EXPIRY_DAYS") or 30)),
            pseudonym_key=env.get("REPERE_PSEUDONYM_KEY") or None,
            events_months=int(env.get("REPERE_EVENTS_MONTHS") or 24),
        )
