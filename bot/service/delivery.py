"""The outbox worker: what turns wrote is sent in order per key, then marked delivered.

A turn hands its committed rows to `push`; at start `load` re-sends whatever a crash left
undelivered (at least once: a duplicate question after a crash is possible, a lost one is
not). Each key is drained by its own task, so one slow or blocked chat holds up no one else.
Delivered rows are deleted in batches (a crash in between re-sends them). The channel's
`deliver` raises `RetryLater` (rate limit, network) or `Undeliverable` (blocked, refused).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from bot.store import Item, Store

log = logging.getLogger("repere.outbox")

Deliver = Callable[[str, dict[str, Any]], Awaitable[None]]
FLUSH_AFTER = 0.05  # seconds: delivered rows are deleted in batches
MAX_BACKOFF = 30.0
TRIES_ON_ERROR = 3  # an unexpected error: a few tries, then the row is dropped (logged)


class RetryLater(Exception):
    """Not now: try again after `after` seconds (Telegram's 429 retry_after, a network fault)."""

    def __init__(self, after: float) -> None:
        super().__init__(after)
        self.after = after


class Undeliverable(Exception):
    """Never: the person blocked the bot, the message was refused. The row is dropped."""


class Outbox:
    def __init__(self, store: Store, deliver: Deliver | None = None) -> None:
        self.store = store
        self.deliver = deliver
        self._queues: dict[str, deque[Item]] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._done: list[int] = []
        self._flusher: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self.delivered = 0
        self.dropped = 0

    async def load(self) -> int:
        """Re-send what a previous run left undelivered; returns how many rows."""
        items = await self.store.outbox_pending()
        self.push(items)
        return len(items)

    def push(self, items: list[Item]) -> None:
        if self.deliver is None:
            return  # a store-only service (a benchmark): rows stay for the next start
        for item in items:
            queue = self._queues.get(item.key)
            if queue is None:
                queue = self._queues[item.key] = deque()
            queue.append(item)
            if item.key not in self._tasks:
                self._idle.clear()
                self._tasks[item.key] = asyncio.get_running_loop().create_task(
                    self._drain(item.key)
                )

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                item = queue[0]
                await self._send(item)
                queue.popleft()
                self._done.append(item.id)
                if self._flusher is None:
                    self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())
        finally:
            del self._queues[key]
            del self._tasks[key]
            if not self._tasks and self._flusher is None:
                self._idle.set()

    async def _send(self, item: Item) -> None:
        assert self.deliver is not None
        errors = 0
        backoff = 0.5
        while True:
            try:
                await self.deliver(item.key, item.action)
                self.delivered += 1
                return
            except RetryLater as wait:
                await asyncio.sleep(min(wait.after or backoff, MAX_BACKOFF))
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Undeliverable as exc:
                log.warning("outbox row %s not deliverable: %s", item.id, exc)
                self.dropped += 1
                return
            except Exception as exc:  # a bug or an odd answer: a few tries, never forever
                errors += 1
                log.error("outbox row %s failed: %s", item.id, type(exc).__name__)
                if errors >= TRIES_ON_ERROR:
                    self.dropped += 1
                    return
                await asyncio.sleep(0.2 * errors)

    async def _flush_soon(self) -> None:
        try:
            await asyncio.sleep(FLUSH_AFTER)
            await self.flush()
        finally:
            self._flusher = None
            if not self._tasks:
                self._idle.set()

    async def flush(self) -> None:
        """Mark what was sent as delivered (deleted)."""
        done, self._done = self._done, []
        if done:
            await self.store.outbox_done(done)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until everything pushed is delivered and marked (tests, shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)
        await self.flush()

    async def close(self, timeout: float = 5.0) -> None:
        """Deliver what is waiting (a little while), then stop; the rest waits for next start."""
        try:
            await self.drain(timeout)
        except TimeoutError:
            for task in list(self._tasks.values()):
                task.cancel()
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        await self.flush()
