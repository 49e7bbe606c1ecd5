from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import Settings


def test_no_token_is_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("No Telegram token. Get one from @BotFather")


def test_a_bad_setting_is_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("REPERE_ADMIN_IDS", "alice")
    assert main(["run"]) == 2
    assert capsys.readouterr().err.startswith("bad setting:")


def test_settings_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "1:x",
            "REPERE_DB": "/tmp/r.db",
            "REPERE_BASE_URL": "http://127.0.0.1:8081/bot",
            "REPERE_ADMIN_IDS": "12, 34",
            "REPERE_EXPIRY_DAYS": "7",
        }
    )
    assert s.token == "1:x" and str(s.db) == "/tmp/r.db"
    assert s.base_url == "http://127.0.0.1:8081/bot"
    assert s.admin_ids == frozenset({12, 34}) and s.expiry.days == 7


def test_a_postgresql_url_selects_postgresql_and_keeps_its_slashes() -> None:
    s = Settings.from_env({"REPERE_DB": "postgresql://repere:pw@db.example.org:5432/repere"})
    assert s.dsn == "postgresql://repere:pw@db.example.org:5432/repere"
    assert Settings.from_env({"REPERE_DB": "/tmp/r.db"}).dsn is None


def test_postgresql_needs_a_shared_pseudonym_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.delenv("REPERE_PSEUDONYM_KEY", raising=False)
    assert main(["run", "--db", "postgresql://repere@127.0.0.1:1/repere"]) == 2
    assert "REPERE_PSEUDONYM_KEY" in capsys.readouterr().err


def test_a_server_out_of_reach_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("asyncpg")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setenv("REPERE_PSEUDONYM_KEY", "k" * 32)
    assert main(["run", "--db", "postgresql://repere:s3cret@127.0.0.1:1/repere"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("PostgreSQL cannot be used") and "s3cret" not in err
