"""A memo whose memory stays flat: a dict that forgets everything once it is full."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(dict[K, V]):
    """Values worked out once and kept, up to `most` of them; then all are forgotten at once
    (cheaper than tracking which is oldest, and what is asked often comes back at once)."""

    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most

    def keep(self, key: K, value: V) -> V:
        if len(self) >= self.most:
            self.clear()
        self[key] = value
        return value
