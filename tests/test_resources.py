"""Start-up and reload run every check of `repere flows check` and `repere catalogue check`:
an error refuses the new version (the running one is kept), a warning does not."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.paths import CATALOGUE_DIR, FLOWS_DIR
from bot.resources import load_resources
from bot.yamlsrc import DataError
from tests.channels.telegram_helpers import button, keyboard_of, message
from tests.conftest import offer, write_catalogue
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
CHAT = 8001


def broken_next(flows: Path) -> str:
    """Make the language step of the beneficiary flow go to a step that does not exist."""
    path = flows / "beneficiary.yaml"
    text = path.read_text()
    assert "    next: consent\n" in text
    path.write_text(text.replace("    next: consent\n", "    next: consentz\n", 1))
    line = text[: text.index("    next: consent\n")].count("\n") + 1
    return f"beneficiary.yaml:{line}: step 'language' goes to unknown step 'consentz'"


def test_a_flow_going_to_a_missing_step_is_refused_at_load(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, flows)
    expected = broken_next(flows)
    with pytest.raises(DataError) as caught:
        load_resources(CATALOGUE_DIR, flows, cache_dir=tmp_path / "cache")
    assert any(str(p).endswith(expected) for p in caught.value.problems), caught.value


def test_a_clean_lint_is_remembered_and_an_edit_checked_again(tmp_path: Path) -> None:
    flows, cache = tmp_path / "flows", tmp_path / "cache"
    shutil.copytree(FLOWS_DIR, flows)
    load_resources(CATALOGUE_DIR, flows, cache_dir=cache)
    assert len(list(cache.glob("flow-lint-*.pickle"))) == 1
    broken_next(flows)
    with pytest.raises(DataError):
        load_resources(CATALOGUE_DIR, flows, cache_dir=cache)


def test_catalogue_warnings_do_not_block(tmp_path: Path) -> None:
    stale = offer(id="old", last_updated="2020-01-01", sessions=[{"start": "2021-01-01"}])
    write_catalogue(tmp_path / "cat", [offer(), stale])
    res = load_resources(tmp_path / "cat", FLOWS_DIR, cache_dir=tmp_path / "cache")
    assert len(res.catalogue) == 2


def test_an_emptied_offers_file_is_refused_at_load(tmp_path: Path) -> None:
    write_catalogue(tmp_path / "cat", [offer()])
    (tmp_path / "cat" / "offers" / "87.yaml").write_text("offers: []\n")
    with pytest.raises(DataError, match=r"87\.yaml:1: no offers"):
        load_resources(tmp_path / "cat", FLOWS_DIR, cache_dir=tmp_path / "cache")


def wait(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not do it in time")
        time.sleep(0.05)


def test_a_broken_flow_on_reload_keeps_the_running_one(api: FakeBotApi, tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, flows)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "REPERE_BASE_URL": api.base_url,
        "REPERE_DB": str(tmp_path / "r.db"),
        "REPERE_CACHE_DIR": str(tmp_path / "cache"),
        "REPERE_PSEUDONYM_KEY": "k" * 32,
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--flows", str(flows)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    logged: list[str] = []
    reader = threading.Thread(target=lambda: logged.extend(bot.stderr or []), daemon=True)
    reader.start()
    try:
        api.push(message(CHAT, "/start"))
        wait(lambda: len(api.sent(CHAT)) >= 1)  # the language question: the bot is up
        expected = broken_next(flows)
        bot.send_signal(signal.SIGHUP)
        wait(lambda: any(expected in line for line in logged))
        time.sleep(0.3)
        asked = api.sent(CHAT)[-1]
        french = next(b for row in keyboard_of(asked) for b in row if "Français" in b["text"])
        api.push(button(CHAT, french["callback_data"], str(asked.params["text"])))
        wait(lambda: any("30 jours" in str(c.params.get("text")) for c in api.sent(CHAT)))
    finally:
        bot.terminate()
        bot.wait(15)
    assert bot.returncode is not None


def test_start_up_refuses_a_broken_flow_naming_the_line(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    shutil.copytree(FLOWS_DIR, flows)
    expected = broken_next(flows)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--flows", str(flows)],
        cwd=ROOT,
        env={**os.environ, "REPERE_CACHE_DIR": str(tmp_path / "cache")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and expected in done.stderr
    assert "Traceback" not in done.stderr
