"""The run registry: start an adapter's run as a task, fan its events out, cancel, record.

One ``RunRegistry`` per host. Each ``Run`` keeps its events in order (``seq`` = index), so any
number of subscribers, late ones included, read from a given ``seq`` and then follow live.
When the run ends its status and result go to the store, and its events are kept in memory
for ``run_ttl_seconds`` (at most ``max_finished_runs`` runs) for late readers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter

from .adapter import Adapter
from .context import RunContext, current_run
from .errors import SessionBusy, UnknownAgent, UnknownRun
from .events import (
    Event,
    InputRequired,
    Message,
    MessageCompleted,
    MessageDelta,
    RunCancelled,
    RunCompleted,
    RunFailed,
    RunInput,
    RunStarted,
    TextPart,
    Usage,
    UsageEvent,
    new_id,
)
from .store import RunRecord, Store

log = logging.getLogger("agenthost.runs")
_events_adapter: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


@dataclass
class RunPolicy:
    session_policy: str = "reject"  # or "queue"
    cancel_on_disconnect: bool = True
    cancel_grace_seconds: float = 1.0
    run_ttl_seconds: float = 600.0
    max_finished_runs: int = 10_000
    stream_coalesce_seconds: float = 0.0


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

    @property
    def run_id(self) -> str:
        return self.record.run_id

    @property
    def events(self) -> list[Any]:
        """Every event so far, in ``seq`` order (decoded afresh once the run is packed)."""
        if self._packed is not None:
            return list(_events_adapter.validate_json(self._packed))
        return self._events

    def events_json(self) -> bytes:
        """Every event so far as one JSON array."""
        if self._packed is not None:
            return self._packed
        return _events_adapter.dump_json(self._events)

    @classmethod
    def finished(cls, record: RunRecord, packed: bytes) -> Run:
        """A finished run rebuilt from its packed form (see ``RunRegistry``)."""
        run_input = RunInput(
            agent=record.agent, messages=record.input, session_id=record.session_id
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


@dataclass
class AgentEntry:
    """An agent the host serves: its name, adapter and sandbox profile."""

    name: str
    adapter: Adapter
    sandbox: str = "default"


SandboxProvider = Callable[[str, str], Awaitable[Any]]  # (profile, session_id) -> Sandbox


class RunRegistry:
    """Every run of a host: start, get, subscribe, cancel."""

    def __init__(
        self,
        agents: dict[str, AgentEntry],
        store: Store,
        policy: RunPolicy | None = None,
        sandbox_provider: SandboxProvider | None = None,
    ):
        self.agents = agents
        self.store = store
        self.policy = policy or RunPolicy()
        self.sandbox_provider = sandbox_provider
        self._runs: dict[str, Run] = {}  # live runs, and finished ones still being read
        # Finished runs nobody reads: (record JSON, events JSON). Bytes are invisible to the
        # garbage collector; ~100 tracked objects a kept run, times thousands of kept runs,
        # made full collections stall the server for hundreds of milliseconds.
        self._packed: dict[str, tuple[bytes, bytes]] = {}
        self._finished: OrderedDict[str, float] = OrderedDict()
        self._session_tail: dict[str, str] = {}  # session id -> its latest run id

    # -- lookup --------------------------------------------------------------------------

    def get(self, run_id: str) -> Run | None:
        """The live (or recently finished) run, with its events; None when gone."""
        run = self._runs.get(run_id)
        if run is None and run_id in self._packed:
            record_json, events_json = self._packed[run_id]
            run = Run.finished(RunRecord.model_validate_json(record_json), events_json)
        return run

    async def record(self, run_id: str) -> RunRecord:
        """The run's record, from memory or the store; raises UnknownRun."""
        run = self._runs.get(run_id)
        if run is not None:
            return run.record
        if run_id in self._packed:
            return RunRecord.model_validate_json(self._packed[run_id][0])
        record = await self.store.get_run(run_id)
        if record is None:
            raise UnknownRun(run_id)
        return record

    def active(self) -> list[Run]:
        return [r for r in self._runs.values() if not r.done]

    def session_run(self, session_id: str) -> Run | None:
        """The latest run of a session still held in memory."""
        run_id = self._session_tail.get(session_id)
        return self.get(run_id) if run_id is not None else None

    # -- start ---------------------------------------------------------------------------

    async def start(
        self,
        input: RunInput,
        *,
        detached: bool = False,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Run:
        """Start a run of ``input.agent``; returns at once with the run under way.

        ``detached`` runs belong to no client connection (background work): a client going
        away never cancels them. Raises UnknownAgent, or SessionBusy under the reject policy.
        """
        entry = self.agents.get(input.agent)
        if entry is None:
            raise UnknownAgent(input.agent, sorted(self.agents))
        session_id = input.session_id or new_id("s")
        input = input.model_copy(update={"session_id": session_id})
        previous = self._runs.get(self._session_tail.get(session_id, ""))
        if previous is not None and previous.done:
            previous = None
        if previous is not None and self.policy.session_policy == "reject":
            raise SessionBusy(session_id, previous.run_id)
        record = RunRecord(
            run_id=run_id or new_id("r"),
            agent=entry.name,
            session_id=session_id,
            status="queued" if previous else "running",
            input=input.messages,
            metadata=metadata or {},
        )
        run = Run(record, input, detached=detached)
        run.ctx = RunContext(
            run_id=record.run_id,
            agent=entry.name,
            session_id=session_id,
            emit=run.append,
            history=lambda: self.store.get_messages(session_id),
            sandbox=lambda: self._sandbox_for(entry, session_id),
            store=self.store,
        )
        self._runs[record.run_id] = run
        self._session_tail[session_id] = record.run_id
        await self.store.save_run(record)
        run.task = asyncio.create_task(self._drive(run, entry, previous), name=record.run_id)
        return run

    async def _sandbox_for(self, entry: AgentEntry, session_id: str) -> Any:
        if self.sandbox_provider is None:
            raise RuntimeError("this host has no sandbox layer configured")
        return await self.sandbox_provider(entry.sandbox, session_id)

    async def _drive(self, run: Run, entry: AgentEntry, previous: Run | None) -> None:
        ctx = run.ctx
        assert ctx is not None
        current_run.set(ctx)  # the task has its own context copy
        try:
            if previous is not None:
                await previous.wait()
                run.record.status = "running"
            run.append(RunStarted(agent=entry.name, session_id=run.record.session_id))
            default_message = "m_" + run.run_id[2:]
            input_required = False
            async for item in entry.adapter.run(run.input, ctx):
                if isinstance(item, str):
                    item = MessageDelta.model_construct(message_id=default_message, text=item)
                elif item.type in ("message.delta", "reasoning.delta") and not item.message_id:
                    item.message_id = default_message
                elif item.type in ("run.completed", "run.failed", "run.cancelled"):
                    self._finish(run, item)
                    return
                elif item.type == "run.started":
                    continue
                input_required = input_required or isinstance(item, InputRequired)
                run.append(item)
            if ctx.cancelled.is_set():
                self._finish(run, RunCancelled(reason=run._cancel_reason or "cancelled"))
            else:
                self._finish(run, RunCompleted(), input_required=input_required)
        except asyncio.CancelledError:
            self._finish(run, RunCancelled(reason=run._cancel_reason or "cancelled"))
        except Exception as exc:
            log.debug("run %s failed", run.run_id, exc_info=True)
            self._finish(run, RunFailed(code=type(exc).__name__, message=str(exc) or repr(exc)))
        finally:
            if not run.done:  # e.g. BaseException
                self._finish(run, RunFailed(code="internal_error", message="run ended abnormally"))
            await self._persist(run)
            self._pack(run)

    def _finish(self, run: Run, terminal: Any, *, input_required: bool = False) -> None:
        if run.done:
            return
        if isinstance(terminal, RunCompleted):
            run.complete_open_messages()
            if not terminal.output:
                terminal.output = list(run._completed)
            if terminal.usage is None:
                terminal.usage = run._usage
            run.record.status = "input_required" if input_required else "completed"
            run.record.output = terminal.output
            run.record.usage = terminal.usage
        elif isinstance(terminal, RunFailed):
            run.record.status = "failed"
            run.record.error = {"code": terminal.code, "message": terminal.message}
        else:
            run.record.status = "cancelled"
            run.record.output = list(run._completed)
        run.record.finished_at = time.time()
        run.append(terminal)
        run._ended = True
        if run._finished is not None and not run._finished.done():
            run._finished.set_result(None)
        run._wake()
        self._remember_finished(run)
        record = run.record
        log.info(
            "run run_id=%s agent=%s session=%s status=%s duration_ms=%.1f",
            record.run_id,
            record.agent,
            record.session_id,
            record.status,
            (time.monotonic() - run.started_at) * 1000,
        )

    async def _persist(self, run: Run) -> None:
        """Store the ended run once (a forced cancel persists before its task ends)."""
        if run._persisted:
            return
        run._persisted = True
        record = run.record
        try:
            if record.status in ("completed", "input_required"):
                await self.store.append_messages(record.session_id, record.input + record.output)
            await self.store.save_run(record)
        except Exception:
            log.exception("could not store run %s", record.run_id)

    def _remember_finished(self, run: Run) -> None:
        now = time.monotonic()
        self._finished[run.run_id] = now
        horizon = now - self.policy.run_ttl_seconds
        while self._finished:
            run_id, finished_at = next(iter(self._finished.items()))
            if finished_at >= horizon and len(self._finished) <= self.policy.max_finished_runs:
                break
            self._finished.popitem(last=False)
            self.forget(run_id)

    def _pack(self, run: Run) -> None:
        """Keep a finished run nobody reads as bytes (see ``_packed``)."""
        if not run.done or run.subscribers or run.run_id not in self._runs:
            return
        events_json = _events_adapter.dump_json(run._events)
        self._packed[run.run_id] = (run.record.model_dump_json().encode(), events_json)
        del self._runs[run.run_id]

    def forget(self, run_id: str) -> None:
        """Drop a finished run's events from memory (its record stays in the store)."""
        run = self._runs.get(run_id)
        if run is not None and not run.done:
            raise ValueError(f"run {run_id!r} is still active")
        self._runs.pop(run_id, None)
        record_json = self._packed.pop(run_id, (b"", b""))[0]
        session_id = (
            run.record.session_id
            if run is not None
            else (RunRecord.model_validate_json(record_json).session_id if record_json else None)
        )
        if session_id is not None and self._session_tail.get(session_id) == run_id:
            del self._session_tail[session_id]
        self._finished.pop(run_id, None)

    # -- consume and cancel --------------------------------------------------------------

    def subscribe(
        self, run_id: str, after: int = -1, *, coalesce: float | None = None
    ) -> Subscription:
        """Follow a run's events after ``seq``; ``coalesce`` defaults to the host policy."""
        run = self.get(run_id)
        if run is None:
            raise UnknownRun(run_id)
        if coalesce is None:
            coalesce = self.policy.stream_coalesce_seconds
        return Subscription(self, run, after, coalesce)

    def _on_abandoned(self, run: Run) -> None:
        if not run.detached and self.policy.cancel_on_disconnect:
            asyncio.get_running_loop().create_task(self.cancel(run.run_id, "client disconnected"))

    async def cancel(self, run_id: str, reason: str = "cancelled by request") -> RunRecord:
        """Stop the run's work and end it with ``run.cancelled`` within the grace period."""
        run = self._runs.get(run_id)
        if run is None:
            return await self.record(run_id)  # raises UnknownRun when unknown
        if run.done:
            return run.record
        run._cancel_reason = reason
        assert run.ctx is not None and run.task is not None
        run.ctx.cancelled.set()
        run.task.cancel(reason)
        done, _ = await asyncio.wait({run.task}, timeout=self.policy.cancel_grace_seconds)
        if not done:
            # The framework swallowed the cancellation: end the run anyway; its late events
            # are dropped and the task is left to finish on its own.
            log.warning("run %s did not stop within the grace period", run_id)
            self._finish(run, RunCancelled(reason=reason))
            await self._persist(run)
        return run.record

    async def close(self) -> None:
        """Cancel every active run (host shutdown)."""
        await asyncio.gather(
            *(self.cancel(r.run_id, "host shutting down") for r in self.active()),
            return_exceptions=True,
        )


__all__ = ["AgentEntry", "Run", "RunPolicy", "RunRegistry", "Subscription", "UsageEvent"]
