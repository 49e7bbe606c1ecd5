"""Shared fixtures: the bundled map and lexicon, and small catalogues written on the fly."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.load import load_catalogue
from bot.catalogue.themes import Lexicon
from bot.matching import Matcher
from bot.messages import Messages
from bot.paths import CATALOGUE_DIR, FLOWS_DIR
from bot.resources import Resources, load_resources
from tests.fake_bot_api import FakeBotApi

TODAY = date(2026, 11, 26)

BASE_OFFER: dict[str, Any] = {
    "id": "t-offer",
    "title": "Lire et écrire",
    "summary": "Vous apprenez à lire.",
    "themes": ["savoirs_de_base"],
    "organisation": {"name": "Association Exemple"},
    "places": [{"address": "1 rue des Écoles", "insee": "23096"}],
    "sessions": [{"start": "2027-01-10", "end": "2027-03-10"}],
    "contact": {"phone": "05 36 49 00 00"},
    "last_updated": "2026-10-01",
}


def offer(**changes: Any) -> dict[str, Any]:
    """A valid offer (Guéret, savoirs de base, starts 10 January 2027) with some keys changed."""
    data = copy.deepcopy(BASE_OFFER)
    data.update(changes)
    return data


def write_catalogue(directory: Path, offers: list[dict[str, Any]], name: str = "t.yaml") -> Path:
    (directory / "offers").mkdir(parents=True, exist_ok=True)
    path = directory / "offers" / name
    path.write_text(yaml.safe_dump({"offers": offers}, allow_unicode=True, sort_keys=False))
    return directory


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    g = Gazetteer.load(CATALOGUE_DIR)
    g.warm()
    return g


@pytest.fixture(scope="session")
def lexicon() -> Lexicon:
    return Lexicon.load(CATALOGUE_DIR / "themes.yaml")


@pytest.fixture(scope="session")
def resources() -> Resources:
    """Everything the bot loads, from the bundled catalogue and flows."""
    return load_resources()


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    """A fake Telegram Bot API server on 127.0.0.1, for this test only."""
    fake = FakeBotApi()
    with fake.running():
        yield fake


@pytest.fixture(scope="session")
def messages() -> Messages:
    return Messages.load(FLOWS_DIR / "messages.yaml")


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the user's cache from tests."""
    monkeypatch.setenv("REPERE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture
def matcher_for(gazetteer: Gazetteer, tmp_path: Path):  # type: ignore[no-untyped-def]
    def build(offers: list[dict[str, Any]]) -> Matcher:
        directory = write_catalogue(tmp_path / "cat", offers)
        return Matcher(load_catalogue(directory, gazetteer, use_cache=False))

    return build


# -- PostgreSQL: one throwaway server for the session, a fresh database per test -------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The DSN of a test server (REPERE_TEST_PG: one already running). Skips without a server
    binary, unless REPERE_PG_REQUIRED is set (CI), where that fails."""
    import os

    from tests.pg_server import binaries, server

    if dsn := os.environ.get("REPERE_TEST_PG"):
        yield dsn
        return
    if binaries() is None:
        if os.environ.get("REPERE_PG_REQUIRED"):
            pytest.fail("REPERE_PG_REQUIRED is set but no PostgreSQL server binary was found")
        pytest.skip("no PostgreSQL server binary (initdb, pg_ctl, postgres) on this machine")
    try:
        import asyncpg  # noqa: F401
    except ImportError:
        if os.environ.get("REPERE_PG_REQUIRED"):
            raise
        pytest.skip("asyncpg is not installed (pip install -e '.[postgres]')")
    with server() as dsn:
        yield dsn


@pytest.fixture
async def pg_dsn(pg_server: str) -> str:
    """A new, empty database on the test server."""
    from tests.pg_server import new_database

    return await new_database(pg_server)
