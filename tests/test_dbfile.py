"""The database file: a damaged or unreadable one is refused at once, with its path; the files
are private; what /oubli erased is not left readable on disk."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.dbfile import DatabaseUnusable, open_database, scrub
from bot.dialogue.replies import Event
from bot.dialogue.state import State
from bot.records import Records
from bot.store import SqliteStore

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]
PHONE = "0612345678"


def healthy(path: Path, rows: int = 2000) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x TEXT)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * rows)
    conn.close()
    return path


def random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(100_000))


def truncated(path: Path) -> None:
    whole = healthy(path.with_name("whole.db")).read_bytes()
    path.write_bytes(whole[:20_000])


def damaged_page(path: Path) -> None:
    data = bytearray(healthy(path.with_name("whole.db")).read_bytes())
    data[4096 * 3 + 100 : 4096 * 3 + 3100] = b"\xff" * 3000
    path.write_bytes(bytes(data))


def folder(path: Path) -> None:
    path.mkdir()


FAULTS = {
    "random bytes": (random_bytes, "not a SQLite database"),
    "truncated": (truncated, "malformed"),
    "damaged page": (damaged_page, "damaged"),
    "a folder": (folder, "folder"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_an_unusable_file_is_refused_at_once_naming_its_path(
    fault: str, tmp_path: Path
) -> None:
    make, reason = FAULTS[fault]
    path = tmp_path / "repere.db"
    make(path)
    started = time.monotonic()
    with pytest.raises(DatabaseUnusable) as caught:
        await SqliteStore.open(path)
    assert time.monotonic() - started < 5
    line = str(caught.value)
    assert "\n" not in line and line.startswith(f"{path}: ") and reason in line


async def test_a_path_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnusable, match="does not exist"):
        await SqliteStore.open(tmp_path / "nowhere" / "repere.db")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
async def test_a_file_without_permission_is_refused(tmp_path: Path) -> None:
    path = healthy(tmp_path / "repere.db")
    path.chmod(0)
    with pytest.raises(DatabaseUnusable, match="permission"):
        await SqliteStore.open(path)


def test_a_process_opening_a_corrupt_file_ends_within_seconds(tmp_path: Path) -> None:
    """A thread left running after a failed open (aiosqlite's did) kept the process alive."""
    path = tmp_path / "repere.db"
    truncated(path)
    code = (
        "import asyncio, sys\n"
        "from bot.store import SqliteStore\n"
        "try:\n"
        f"    asyncio.run(SqliteStore.open({str(path)!r}))\n"
        "except Exception as exc:\n"
        "    print(exc, file=sys.stderr); sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=20
    )
    assert done.returncode == 3 and str(path) in done.stderr


async def test_a_healthy_file_opens_and_its_files_are_private(tmp_path: Path) -> None:
    path = healthy(tmp_path / "old.db")
    path.chmod(0o644)  # made by an older version
    store = await SqliteStore.open(path)
    await store.set(1, State(flow="b", version=1, step="need"), 1, NOW)
    for name in (path, path.with_name("old.db-wal"), path.with_name("old.db-shm")):
        assert stat.S_IMODE(name.stat().st_mode) == 0o600, name
    async with store.db.execute("PRAGMA secure_delete") as cur:
        assert await cur.fetchone() == (1,)
    await store.close()
    fresh = await SqliteStore.open(tmp_path / "new.db")
    await fresh.close()
    assert stat.S_IMODE((tmp_path / "new.db").stat().st_mode) == 0o600


async def test_an_empty_file_is_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "repere.db"
    path.touch()
    db = await open_database(path)
    await db.close()


def on_disk(path: Path) -> bytes:
    return b"".join(
        p.read_bytes()
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))
        if p.exists()
    )


async def test_nothing_erased_stays_readable_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "repere.db"
    store = await SqliteStore.open(path)
    records = Records(store.db)
    person = "p" * 32
    for turn in range(5):  # several versions of the state, each in the WAL
        answers = {"phone": PHONE, "turn": str(turn)}
        await store.set(7, State(flow="b", version=1, step="when", answers=answers), turn, NOW)
    await store.set(8, State(flow="b", version=1, step="need"), 1, NOW)  # someone else stays
    await records.add_events(person, "r", "b", [Event("started")], NOW.date(), "23", None)
    await records.open_handoff(person, -100, "23", None, NOW)
    await records.flush()
    assert PHONE.encode() in on_disk(path) and person.encode() in on_disk(path)

    await store.forget(7)
    await records.erase(person)
    assert PHONE.encode() not in on_disk(path)
    assert person.encode() not in on_disk(path)
    assert (await store.get(8)).state is not None
    await store.close()


def test_repere_run_on_a_corrupt_file_says_so_in_one_line_and_exits(tmp_path: Path) -> None:
    path = tmp_path / "repere.db"
    random_bytes(path)
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "REPERE_BASE_URL": "http://127.0.0.1:9/bot",  # never reached
        "REPERE_PSEUDONYM_KEY": "k" * 32,
        "REPERE_DB": str(path),
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert time.monotonic() - started < 20
    assert done.returncode != 0
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(str(path)) and "not a SQLite database" in line


async def test_a_check_too_long_for_a_large_healthy_file_does_not_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import bot.dbfile

    monkeypatch.setattr(bot.dbfile, "CHECK_SECONDS", 0.0)
    path = healthy(tmp_path / "repere.db", rows=20_000)
    store = await SqliteStore.open(path)
    await store.set(1, State(flow="b", version=1, step="need"), 1, NOW)
    await store.close()
    assert "cut short" in caplog.text


async def test_an_erasure_waits_for_a_background_checkpoint(tmp_path: Path) -> None:
    """SQLite answers busy at once when another connection is checkpointing (the store's
    Checkpointer does): the erasure's own checkpoint must wait for it, not give up and leave
    the erased rows in the WAL."""
    path = tmp_path / "repere.db"
    db = await open_database(path)
    await db.execute("CREATE TABLE t (v TEXT)")
    stop = threading.Event()

    def checkpoint_all_the_time() -> None:
        other = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        while not stop.is_set():
            for _ in range(50):
                other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            time.sleep(0.0005)
        other.close()

    thread = threading.Thread(target=checkpoint_all_the_time)
    thread.start()
    try:
        results = []
        for n in range(30):
            await db.executemany(
                "INSERT INTO t VALUES (?)", [(f"secret {n} {i}",) for i in range(50)]
            )
            await db.execute("DELETE FROM t")
            results.append(await scrub(db))
    finally:
        stop.set()
        thread.join()
        await db.close()
    assert all(results), f"{results.count(False)} of 30 erasures left the WAL as it was"


async def test_an_erasure_holds_nothing_up_while_a_reader_keeps_its_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's busy wait inside the TRUNCATE checkpoint would hold the event loop (5 s) while
    a reader keeps an old snapshot (another process's report): the erasure retries instead,
    and the loop goes on meanwhile."""
    import asyncio

    import bot.dbfile

    monkeypatch.setattr(bot.dbfile, "SCRUB_SECONDS", 0.5)
    path = tmp_path / "repere.db"
    db = await open_database(path)
    await db.execute("CREATE TABLE t (v TEXT)")
    await db.execute("INSERT INTO t VALUES ('secret')")
    reader = sqlite3.connect(str(path), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT * FROM t").fetchall()  # a snapshot held
    await db.execute("DELETE FROM t")
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            gaps.append(time.monotonic() - last)
            last = time.monotonic()

    tick = asyncio.create_task(ticker())
    started = time.monotonic()
    assert await scrub(db) is False  # the reader won: said, not waited for
    assert time.monotonic() - started < 2
    tick.cancel()
    assert gaps and max(gaps) < 0.3, f"the event loop stalled {max(gaps):.2f} s"
    reader.execute("COMMIT")
    reader.close()
    assert await scrub(db) is True
    await db.close()
