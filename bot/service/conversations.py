"""The turn, for every channel: input + key -> stored state + replies to deliver.

Each key's turns run one after the other (a lock per key, taken before any await, so turns run
in the order they arrived). A turn reads the state, plays the engine, and writes in ONE
transaction the new state, the handled inbox row and the outbox rows the channel rendered
from it; the delivery worker then sends them. An update seen before is not applied twice; a
button from an earlier step, or a confirmation that was not the last one shown, changes
nothing. Nothing personal is ever logged.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import traceback
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from bot.dialogue.engine import Engine
from bot.dialogue.events import where_from
from bot.dialogue.replies import PlanFollowUp, Reply, Say, Turn
from bot.dialogue.state import Input, State
from bot.records import Records
from bot.resources import Resources
from bot.service.delivery import Outbox
from bot.service.keys import channel_of
from bot.store import Item, Store, Write

log = logging.getLogger("repere.service")

DEFAULT_FLOW = "beneficiary"
Clock = Callable[[], datetime]
Forget = Literal["ask", "yes", "no"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a person did, as a channel translated it."""

    key: str
    update_id: int | None = None  # the channel's id: its inbox row, and never twice
    inp: Input | None = None
    start: tuple[str, dict[str, str]] | None = None  # (flow, context) of a (deep-linked) start
    lang: str | None = None  # start directly in this language
    note: str | None = None  # a message key said before the current question
    button: tuple[str, int, str, str] | None = None  # (flow, version, step, choice)
    stale: bool = False  # a button the channel could not read: refused like an old one
    forget: Forget | None = None  # /oubli, then its confirmation's answer
    nonce: str = ""  # the confirmation a yes/no answers
    show: str | None = None  # a page of the channel's (the privacy notice): no turn
    meta: dict[str, Any] = field(default_factory=dict)  # the channel's own (a query to answer)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a turn gives the channel to render."""

    key: str
    state: State | None  # after the turn (None: no conversation)
    before: State | None
    replies: list[Reply]  # the engine's, actions (handoff, follow-up) included
    said: list[Reply] = field(default_factory=list)  # before them: a note, a reminder
    incoming: Incoming | None = None
    stale: bool = False
    failed: bool = False  # the turn failed: say so kindly
    forget: Literal["ask", "done", "kept"] | None = None
    nonce: str = ""
    erased: list[tuple[int, int]] = field(default_factory=list)  # group messages to remove

    @property
    def lang(self) -> str:
        state = self.state or self.before
        if state is not None:
            return state.lang
        return (self.incoming.lang if self.incoming else None) or "fr"


class Renderer(Protocol):
    def __call__(self, outcome: Outcome) -> list[dict[str, Any]]: ...


class Conversations:
    """Turns for every channel: `renderers` maps a key's channel prefix to its renderer."""

    def __init__(
        self,
        resources: Resources,
        store: Store,
        renderers: dict[str, Renderer],
        outbox: Outbox,
        *,
        records: Records | None = None,
        person: Callable[[str], str] = lambda key: key,
        clock: Clock = utc_now,
        keep_finished: bool = False,
    ) -> None:
        self.res = resources
        self.engine = Engine(resources.flows, resources)
        self.store = store
        self.renderers = renderers
        self.outbox = outbox
        self.records = records  # what outlives a conversation: events, handoffs
        self.person = person  # a key's pseudonym
        self.clock = clock
        self.keep_finished = keep_finished  # the terminal keeps a finished chat on screen
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def use(self, resources: Resources) -> None:
        """Serve with freshly loaded resources (a reload)."""
        self.res = resources
        self.engine = Engine(resources.flows, resources)

    def lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    # -- turns -------------------------------------------------------------------------------

    async def handle(self, inc: Incoming) -> list[Item]:
        """Play one input under its key's lock; returns the outbox rows written (already
        handed to the delivery worker). The key's lock is taken before anything waits."""
        async with self.lock(inc.key):
            items, forgot = await self._handle(inc)
            if forgot:  # the deleted conversation: not left in the WAL either
                await self.store.scrub()
            self.outbox.push(items)  # once committed: never a reply whose turn rolled back
            return items

    async def _handle(self, inc: Incoming) -> tuple[list[Item], bool]:
        """Read, play and write under the store's hold on the key (another process's turns
        on it wait): the update-id check and the write are one transaction."""
        async with self.store.turn(inc.key):
            record = await self.store.get(inc.key)
            now = self.clock()
            inbox = self._inbox(inc)
            if inc.update_id is not None and inc.update_id <= record.last_update_id:
                if inbox is not None:  # seen before: a redelivery
                    await self.store.inbox_done(*inbox)
                return [], False
            try:
                write, outcome = await self._turn(inc, record.state, now)
            except Exception as exc:  # one bad turn: told kindly, the state untouched
                _log_failure(inc.update_id, exc)
                write = Write(inc.key, now)
                outcome = Outcome(inc.key, record.state, record.state, [], failed=True)
                outcome = replace(outcome, incoming=inc)
            actions = self.renderers[channel_of(inc.key)](outcome)
            items = await self.store.commit(replace(write, inbox=inbox, outbox=actions))
            return items, outcome.forget == "done"

    async def say(self, key: str, actions: Sequence[dict[str, Any]], inc: Incoming | None) -> None:
        """Channel-rendered replies outside a turn (a group, an admin command): durable too."""
        async with self.lock(key):
            inbox = self._inbox(inc) if inc is not None else None
            write = Write(key, self.clock(), inbox=inbox, outbox=list(actions))
            async with self.store.turn(key):
                items = await self.store.commit(write)
            self.outbox.push(items)

    async def _turn(
        self, inc: Incoming, state: State | None, now: datetime
    ) -> tuple[Write, Outcome]:
        key, today = inc.key, now.date()
        engine = self.engine
        messages = self.res.messages
        lang = state.lang if state is not None else "fr"
        bare = Write(key, now)
        if inc.show is not None:
            return bare, Outcome(key, state, state, [], incoming=inc)
        if inc.forget is not None:
            return await self._forget(inc, state, now)
        said: list[Reply] = []
        stale = False
        if inc.start is not None or state is None:
            flow, context = inc.start or (DEFAULT_FLOW, {})
            flow = flow if flow in engine.flows else DEFAULT_FLOW
            turn = engine.start(flow, today, inc.lang, context)
        elif inc.note is not None:
            turn = engine.current(state, today)
            said = [Say(messages.get(inc.note, lang))]
        elif inc.button is not None or inc.stale:
            flow_name, version, step, choice = inc.button or ("", 0, "", "")
            if inc.stale or (flow_name, version, step) != (state.flow, state.version, state.step):
                stale = True
                turn = engine.current(state, today)
                said = [Say(messages.get("stale_button", lang))]
            else:
                turn = engine.handle(state, Input(choice=choice, step=step), today)
        else:
            turn = engine.handle(state, inc.inp or Input(text=""), today)
        write, turn = await self._keep(key, turn, inc.update_id, now)
        outcome = Outcome(key, turn.state, state, turn.replies, said, inc, stale=stale)
        return write, outcome

    async def _keep(
        self, key: str, turn: Turn, update_id: int | None, now: datetime
    ) -> tuple[Write, Turn]:
        """What the turn writes; what outlives it (events) only if the person agreed."""
        state = turn.state
        if not state.run:  # a new conversation: a fresh opaque id for its counts
            state = state.model_copy(update={"run": secrets.token_hex(8)})
        forget = state.done and not state.keep and not self.keep_finished
        follow_at = None
        for reply in turn.replies:
            if isinstance(reply, PlanFollowUp) and not forget:
                follow_at = now + timedelta(days=reply.after_days)
        if state.keep and self.records is not None and turn.events:
            flow = self.engine.flows.get(state.flow)
            department, centre = where_from(flow, state) if flow else (None, None)
            await self.records.add_events(
                self.person(key), state.run, state.flow, turn.events, now.date(), department, centre
            )
        write = Write(
            key,
            now,
            state=None if forget else state,
            forget=forget,  # "je ne garde rien": nothing, not even the state
            update_id=update_id,
            follow_at=follow_at,
        )
        return write, Turn(state, turn.replies, turn.events)

    async def _forget(
        self, inc: Incoming, state: State | None, now: datetime
    ) -> tuple[Write, Outcome]:
        """/oubli asks with a fresh nonce; only a yes carrying that nonce erases, once."""
        key = inc.key
        if inc.forget == "ask":
            nonce = secrets.token_urlsafe(8)
            outcome = Outcome(key, state, state, [], incoming=inc, forget="ask", nonce=nonce)
            return Write(key, now, confirm=nonce), outcome
        asked = await self.store.confirmation(key)
        if asked is None or not hmac.compare_digest(asked.encode(), inc.nonce.encode()):
            # not the confirmation last shown (forged, or answered already): nothing changes
            replies = self.engine.current(state, now.date()).replies if state else []
            said: list[Reply] = [Say(self.res.messages.get("stale_button", _lang(state)))]
            outcome = Outcome(key, state, state, replies, said, inc, stale=True)
            return Write(key, now), outcome
        if inc.forget == "no":
            outcome = Outcome(key, state, state, [], incoming=inc, forget="kept")
            return Write(key, now, confirm=""), outcome
        erased: list[tuple[int, int]] = []
        if self.records is not None:  # before the commit: a crash in between erases again
            erased = await self.records.erase(self.person(key))
        outcome = Outcome(key, None, state, [], incoming=inc, forget="done", erased=erased)
        return Write(key, now, forget=True), outcome

    # -- scheduled turns ---------------------------------------------------------------------

    async def remind(self, key: str, now: datetime) -> bool:
        """One gentle reminder and the current question, if the conversation is still open."""
        async with self.lock(key):
            async with self.store.turn(key):
                state = (await self.store.get(key)).state
                if state is None or state.done:
                    return False
                turn = self.engine.current(state, now.date())
                said: list[Reply] = [Say(self.res.messages.get("reminder", state.lang))]
                outcome = Outcome(key, state, None, turn.replies, said)
                actions = self.renderers[channel_of(key)](outcome)
                items = await self.store.commit(Write(key, now, outbox=actions))
            self.outbox.push(items)
            return True

    async def follow_up(self, key: str, now: datetime) -> bool:
        """Ask how it went (the person agreed to it)."""
        async with self.lock(key):
            async with self.store.turn(key):
                state = (await self.store.get(key)).state
                if state is None or not state.keep:
                    return False
                turn = self.engine.follow_up(state, now.date())
                if turn is None:
                    return False
                write, turn = await self._keep(key, turn, None, now)
                outcome = Outcome(key, turn.state, None, turn.replies)
                actions = self.renderers[channel_of(key)](outcome)
                items = await self.store.commit(replace(write, outbox=actions))
            self.outbox.push(items)
            return True

    async def lang(self, key: str) -> str:
        return _lang((await self.store.get(key)).state)

    @staticmethod
    def _inbox(inc: Incoming) -> tuple[str, int] | None:
        return (channel_of(inc.key), inc.update_id) if inc.update_id is not None else None


def _lang(state: State | None) -> str:
    return state.lang if state is not None else "fr"


def _log_failure(update_id: int | None, error: BaseException) -> None:
    """The update id, the error's type and where: never its message (it may quote what the
    person wrote), nor a name, nor the token."""
    where = ""
    if error.__traceback__ is not None:
        frame = traceback.extract_tb(error.__traceback__)[-1]
        where = f" at {Path(frame.filename).name}:{frame.lineno} in {frame.name}"
    log.error("update %s failed: %s%s", update_id, type(error).__name__, where)
