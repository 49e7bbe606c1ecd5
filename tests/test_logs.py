"""The bot token never appears in any output: log lines of any library, exception texts,
and the traceback of an exception nobody caught."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.logs import configure_logging, mask
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
SECRET = TOKEN.split(":")[1]
OTHER = "987654:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"  # a token shape, not the configured one


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """What a handler of the root logger writes, once `repere run` configured logging."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    configure_logging(Settings(token=TOKEN))
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        logging.getLogger("httpx").setLevel(logging.NOTSET)
        sys.excepthook = sys.__excepthook__


def test_mask_hides_any_token_shape() -> None:
    assert mask(f"url http://127.0.0.1:8081/bot{OTHER}/getMe") == (
        "url http://127.0.0.1:8081/bot***/getMe"
    )
    assert mask("a time 12:30 and 123:short") == "a time 12:30 and 123:short"


@pytest.mark.parametrize("name", ["httpx", "httpcore.http11", "telegram.ext.Updater", "asyncio"])
def test_no_logger_prints_the_token(name: str, output: io.StringIO) -> None:
    log = logging.getLogger(name)
    log.warning("HTTP Request: POST http://127.0.0.1:8081/bot%s/getUpdates", TOKEN)
    log.warning(f"other bot {OTHER} and the secret alone {SECRET}")
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        log.exception("failed")
    log.error("with a stack", stack_info=True, extra={"token": TOKEN})
    text = output.getvalue()
    assert "failed" in text and "RuntimeError" in text and "***" in text
    assert SECRET not in text and OTHER.split(":")[1] not in text


def test_a_rejected_token_is_not_printed_by_repere_run(tmp_path: Path) -> None:
    api = FakeBotApi()
    with api.running():
        unauthorized = {"ok": False, "error_code": 401, "description": "Unauthorized"}
        api.fail("getMe", 401, unauthorized, times=5)
        env = dict(
            os.environ,
            TELEGRAM_BOT_TOKEN=TOKEN,
            REPERE_DB=str(tmp_path / "r.db"),
            REPERE_PSEUDONYM_KEY="k" * 32,
        )
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--base-url", api.base_url],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    said = done.stdout + done.stderr
    assert done.returncode != 0 and said  # it failed, and said something
    assert SECRET not in said
