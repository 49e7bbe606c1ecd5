"""A throwaway PostgreSQL server for the tests: data in a temp dir, a loopback port, run as an
unprivileged user when the tests run as root (postgres refuses root). Without a server binary
the tests that need one skip, unless REPERE_PG_REQUIRED is set (CI), where that is a failure."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SEARCH = ("/usr/local/bin", *sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True))


def binaries() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, if any."""
    found = shutil.which("pg_ctl")
    candidates = [str(Path(found).parent)] if found else []
    for directory in [*candidates, *SEARCH]:
        if all((Path(directory) / b).exists() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(directory)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_user() -> tuple[list[str], str | None]:
    """The command prefix that drops root (postgres refuses it), and the user it drops to."""
    if os.geteuid() != 0:
        return [], None
    user = "nobody"
    pwd.getpwnam(user)
    return ["runuser", "-u", user, "--"], user


@contextlib.contextmanager
def server() -> Iterator[str]:
    """Start a server; yields its DSN (database `postgres`, trust auth on 127.0.0.1)."""
    bindir = binaries()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL server binary (initdb, pg_ctl, postgres)")
    prefix, user = _as_user()
    top = Path(tempfile.mkdtemp(prefix="repere-pg-"))
    data = top / "data"
    data.mkdir()
    if user is not None:
        entry = pwd.getpwnam(user)
        for path in (top, data):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    quiet = {"check": True, "capture_output": True, "env": env, "cwd": top}
    try:
        subprocess.run(
            [
                *prefix,
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            **quiet,  # type: ignore[call-overload]
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={data}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=200 -c shared_buffers=64MB"
        )
        subprocess.run(
            [
                *prefix,
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-t",
                "30",
                "-l",
                str(data / "log"),
                "start",
            ],
            **quiet,  # type: ignore[call-overload]
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            env=env,
            cwd=top,
            check=False,
        )
        shutil.rmtree(top, ignore_errors=True)


async def new_database(dsn: str) -> str:
    """A new, empty database on the server of `dsn`; returns its DSN."""
    import secrets

    import asyncpg

    name = f"t_{secrets.token_hex(6)}"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return dsn.rsplit("/", 1)[0] + f"/{name}"
