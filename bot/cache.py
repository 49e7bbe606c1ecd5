"""A compiled copy of data files, kept as a pickle named after a hash of their bytes.

An edited file changes the hash, so a stale copy is never served; a truncated or foreign
copy is rebuilt, never trusted; an unwritable cache only costs a slower start.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from bot import __version__

T = TypeVar("T")
FORMAT = 2
KEEP_OLD_SECONDS = 3600


def default_cache_dir() -> Path:
    if explicit := os.environ.get("REPERE_CACHE_DIR"):
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "repere"


def content_key(files: Iterable[Path], root: Path) -> str:
    digest = hashlib.blake2b(f"{FORMAT}:{__version__}".encode(), digest_size=16)
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def cached(
    kind: type[T],
    name: str,
    files: list[Path],
    root: Path,
    build: Callable[[], T],
    cache_dir: Path | None,
    use_cache: bool = True,
) -> T:
    """`build()`, or its pickled result from an earlier run on the same bytes."""
    if not use_cache:
        return build()
    directory = cache_dir or default_cache_dir()
    path = directory / f"{name}-{content_key(files, root)}.pickle"
    if path.exists():
        try:
            with path.open("rb") as f:
                value = pickle.load(f)
            if isinstance(value, kind):
                return value
        except Exception:  # any unreadable copy is rebuilt below
            pass
    value = build()
    _write(path, name, value)
    return value


def _write(path: Path, name: str, value: object) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob(f"{name}-*.pickle"):
            if old != path and old.stat().st_mtime < time.time() - KEEP_OLD_SECONDS:
                old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass
