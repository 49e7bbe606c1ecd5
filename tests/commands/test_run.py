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
