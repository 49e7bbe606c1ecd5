"""Every offer's JSON text, end to end in a few buffers, read from the cache's files by mmap.

300,000 offers as as many bytes objects took 150 MB of memory and 0.4 s to unpickle at each
start; files mapped into memory cost nothing to open, and only the pages of the offers
actually shown are ever read from disk. Each compiled piece of the catalogue keeps its texts
in a file of its own (see load.py): the catalogue maps them all, and joining pieces after an
edit copies no text.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

Buffer = bytes | bytearray | mmap.mmap


class Records(Sequence[bytes]):
    """Offers firsts[k] to firsts[k + 1] - 1 are in buffers[k]: the text of offer n of that
    segment is buffers[k][ends[n - 1]:ends[n]], from 0 for the segment's first offer."""

    def __init__(
        self,
        buffers: Sequence[Buffer],
        ends: array[int],
        firsts: array[int] | None = None,
        paths: Sequence[Path | None] | None = None,
    ) -> None:
        self.buffers = list(buffers)
        self.ends = ends
        self.firsts = array("Q", [0]) if firsts is None else firsts
        # the file each buffer is mapped from (None: in memory only)
        self.paths: list[Path | None] = list(paths) if paths is not None else [None] * len(buffers)

    @classmethod
    def of(cls, texts: Iterable[bytes]) -> Records:
        buffer = bytearray()
        ends = array("Q")
        for text in texts:
            buffer += text
            ends.append(len(buffer))
        return cls([buffer], ends)

    @classmethod
    def concat(cls, parts: Sequence[Records]) -> Records:
        """These records end to end (their buffers shared, not copied)."""
        buffers: list[Buffer] = []
        paths: list[Path | None] = []
        ends = array("Q")
        firsts = array("Q")
        for part in parts:
            if not len(part):
                continue
            for k, buffer in enumerate(part.buffers):
                firsts.append(len(ends) + part.firsts[k])
                buffers.append(buffer)
                paths.append(part.paths[k])
            ends += part.ends
        if not buffers:
            return cls.of(())
        return cls(buffers, ends, firsts, paths)

    def __len__(self) -> int:
        return len(self.ends)

    @overload
    def __getitem__(self, n: int) -> bytes: ...

    @overload
    def __getitem__(self, n: slice) -> list[bytes]: ...

    def __getitem__(self, n: int | slice) -> bytes | list[bytes]:
        if isinstance(n, slice):
            return [self[k] for k in range(*n.indices(len(self)))]
        if n < 0:
            n += len(self.ends)
        end = self.ends[n]  # raises IndexError past the end
        k = bisect_right(self.firsts, n) - 1 if len(self.firsts) > 1 else 0
        start = self.ends[n - 1] if n > self.firsts[k] else 0
        return bytes(self.buffers[k][start:end])

    def __iter__(self) -> Iterator[bytes]:
        return (self[n] for n in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Records):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __getstate__(self) -> tuple[bytes, array[int]]:
        whole = Records.of(self)
        return bytes(whole.buffers[0]), whole.ends

    def __setstate__(self, state: tuple[bytes, array[int]]) -> None:
        self.__init__([state[0]], state[1])  # type: ignore[misc]

    def write(self, path: Path) -> bool:
        """Write the buffers at `path` end to end, whole or not at all; False when it could
        not be."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    for buffer in self.buffers:
                        f.write(buffer)
                os.replace(tmp, path)
            finally:
                Path(tmp).unlink(missing_ok=True)
        except OSError:
            return False
        return True

    @classmethod
    def mapped(
        cls, paths: Sequence[Path], ends: array[int], firsts: array[int] | None = None
    ) -> Records | None:
        """The buffers written at `paths` (one per segment), mapped; None if one is missing or
        of the wrong size."""
        firsts = array("Q", [0]) if firsts is None else firsts
        bounds = [*firsts[1:], len(ends)]
        buffers: list[Buffer] = []
        try:
            for path, first, after in zip(paths, firsts, bounds, strict=True):
                size = ends[after - 1] if after > first else 0
                with path.open("rb") as f:
                    if os.fstat(f.fileno()).st_size != size:
                        return None
                    fd = f.fileno()
                    buffers.append(mmap.mmap(fd, 0, access=mmap.ACCESS_READ) if size else b"")
        except (OSError, ValueError):
            return None
        return cls(buffers, ends, firsts, list(paths))
