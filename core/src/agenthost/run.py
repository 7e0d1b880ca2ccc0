"""One run: its record, its events in ``seq`` order, and the subscriptions that follow it.

``RunRegistry`` (``runs.py``) creates and drives runs; a frontend holds a ``Run`` it started
or looked up, and follows it with a ``Subscription``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from .context import RunContext
from .events import Event, Message, MessageCompleted, Principal, RunInput, TextPart, Usage
from .signals import signals
from .store import RunRecord

if TYPE_CHECKING:
    from .runs import RunRegistry

events_adapter: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


class Run:
    """One run: its record, its events so far, and the task producing them."""

    def __init__(self, record: RunRecord, input: RunInput, *, detached: bool):
        self.record = record
        self.input = input
        self._events: list[Any] = []
        # Set on a run rebuilt from the registry's packed form: its events as one JSON array.
        self._packed: bytes | None = None
        self.detached = detached  # True: no client owns it; disconnects never cancel it
        self.subscribers = 0
        self.task: asyncio.Task[None] | None = None
        self.ctx: RunContext | None = None
        self.started_at = time.monotonic()
        self._wakeup: asyncio.Future[None] | None = None
        self._ended = False
        self._finished: asyncio.Future[None] | None = None  # made on first wait()
        self._open_text: dict[str, list[str]] = {}
        self._completed: list[Message] = []
        self._usage: Usage | None = None
        self._cancel_reason: str | None = None
        self._persisted = False
        self.queued = False
        # A run with no session of the client's: its sandbox goes when it ends.
        self.ephemeral = False

    @property
    def session_key(self) -> str:
        """The owner-scoped session key (history, sandbox, framework memory)."""
        return self.input.principal.key(self.record.session_id)

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def events(self) -> list[Any]:
        """Every event so far, in ``seq`` order (decoded afresh once the run is packed)."""
        if self._packed is not None:
            return list(events_adapter.validate_json(self._packed))
        return self._events

    def events_json(self) -> bytes:
        """Every event so far as one JSON array."""
        if self._packed is not None:
            return self._packed
        return events_adapter.dump_json(self._events)

    @classmethod
    def finished(cls, record: RunRecord, packed: bytes) -> Run:
        """A finished run rebuilt from its packed form (see ``RunRegistry``)."""
        run_input = RunInput(
            agent=record.agent,
            messages=record.input,
            session_id=record.session_id,
            principal=Principal(id=record.owner),
        )
        run = cls(record, run_input, detached=True)
        run._packed = packed
        run._ended = True
        return run

    @property
    def done(self) -> bool:
        return self._ended

    @property
    def status(self) -> str:
        return self.record.status

    async def wait(self) -> RunRecord:
        """Wait until the run has ended; its final record."""
        if not self._ended:
            if self._finished is None:
                self._finished = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._finished)
        return self.record

    # -- producing ----------------------------------------------------------------------

    def append(self, event: Any) -> None:
        if self.done:
            return  # a run that was force-ended drops what its task still produces
        # Stamp without pydantic's validating __setattr__: both values are known-good, and this
        # runs once per event on the hot path.
        fields = event.__dict__
        fields["run_id"] = self.run_id
        fields["seq"] = len(self._events)
        self._events.append(event)
        kind = event.type
        if kind == "message.delta":
            self._open_text.setdefault(event.message_id, []).append(event.text)
        elif kind == "message.completed":
            self._open_text.pop(event.message.id, None)
            if event.message.role == "assistant":
                self._completed.append(event.message)
        elif kind == "usage":
            self._usage = event.usage if self._usage is None else self._usage + event.usage
        self._wake()
        if signals.active:
            signals.run_event(self, event)

    def _wake(self) -> None:
        waiter, self._wakeup = self._wakeup, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def complete_open_messages(self) -> None:
        for message_id, chunks in list(self._open_text.items()):
            message = Message(
                id=message_id, role="assistant", parts=[TextPart(text="".join(chunks))]
            )
            self.append(MessageCompleted(message=message))

    # -- consuming ----------------------------------------------------------------------

    async def batches(
        self, after: int = -1, coalesce: float = 0.0
    ) -> AsyncGenerator[list[Any], None]:
        """Events with ``seq > after``, in batches of whatever is ready, until the terminal one.

        ``coalesce``: after waiting for new events, wait this many seconds more so a burst
        goes out as one batch (one write to the client instead of one per token).
        """
        index = after + 1
        if self._packed is not None:
            yield self.events[index:]
            return
        while True:
            events = self._events
            if index < len(events):
                batch = events[index:]
                index += len(batch)
                yield batch
                continue
            if self.done:
                return
            if self._wakeup is None:
                self._wakeup = asyncio.get_running_loop().create_future()
            await self._wakeup
            if coalesce and not self.done:
                await asyncio.sleep(coalesce)


class Subscription:
    """``async with registry.subscribe(run_id, after) as sub: async for batch in sub: ...``

    Leaving the block before the terminal event counts as a client going away: when the last
    subscriber of a client-owned run leaves early, the run is cancelled (if configured).
    """

    def __init__(self, registry: RunRegistry, run: Run, after: int, coalesce: float = 0.0):
        self.registry = registry
        self.run = run
        self._iter = run.batches(after, coalesce)
        self.finished = False

    async def __aenter__(self) -> Subscription:
        self.run.subscribers += 1
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._iter.aclose()
        self.run.subscribers -= 1
        if self.run.subscribers == 0:
            if self.run.done:
                self.registry._pack(self.run)
            elif not self.finished:
                self.registry._on_abandoned(self.run)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> list[Any]:
        try:
            batch = await self._iter.__anext__()
        except StopAsyncIteration:
            self.finished = True
            raise
        return batch
