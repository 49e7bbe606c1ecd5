"""A compiled copy of data files, kept as a pickle named after a hash of their bytes.

An edited file changes the hash, so a stale copy is never served; a truncated or foreign
copy is rebuilt, never trusted; an unwritable cache only costs a slower start.
`cached` keeps one copy for a set of files; `read`, `write` and `prune` are the pieces, for a
caller that keeps one copy per file (the catalogue, see bot/catalogue/load.py).
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from bot import __version__

T = TypeVar("T")
FORMAT = 3
KEEP_OLD_SECONDS = 3600


def default_cache_dir() -> Path:
    if explicit := os.environ.get("REPERE_CACHE_DIR"):
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "repere"


def _digest() -> hashlib._Hash:
    """SHA-256, computed by the processor's own instructions where it has them: twice as fast
    as BLAKE2b here (1.3 GB/s against 0.6), and every start hashes the catalogue's files."""
    return hashlib.sha256(f"{FORMAT}:{__version__}".encode())


def key_of(*parts: bytes) -> str:
    """A hash of the format, the code's version and `parts`: the name of a compiled copy."""
    digest = _digest()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()[:32]


def content_key(files: Iterable[Path], root: Path) -> str:
    digest = _digest()
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


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
    if (value := read(path, kind)) is not None:
        return value
    value = build()
    prune(directory, name, {path})
    write(path, value)
    return value


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (forked workers inherit it). Building many objects
    that hold no cycles and stay (unpickling, joining the catalogue's pieces, importing a
    feed) otherwise runs it again and again over all of them: the merged catalogue's copy
    took 0.51 s to unpickle, 0.34 s without; an LHEO import, a third of its time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read(path: Path, kind: type[T]) -> T | None:
    """The value pickled at `path`, or None when it is missing, unreadable or not a `kind`."""
    try:
        with path.open("rb") as f, gc_paused():
            value = pickle.load(f)
    except Exception:  # any unreadable copy is rebuilt by the caller
        return None
    return value if isinstance(value, kind) else None


def write(path: Path, value: object) -> None:
    """Pickle `value` at `path` whole or not at all (another process may be reading it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError:
        pass


def prune(directory: Path, name: str, keep: set[Path], suffix: str = ".pickle") -> None:
    """Remove the copies `name-*.pickle` not in `keep` that are older than an hour (a process
    started just before may still want them)."""
    try:
        for old in directory.glob(f"{name}-*{suffix}"):
            if old not in keep and old.stat().st_mtime < time.time() - KEEP_OLD_SECONDS:
                old.unlink(missing_ok=True)
    except OSError:
        pass
