"""The run registry: start an adapter's run as a task, fan its events out, cancel, record.

One ``RunRegistry`` per host. Each ``Run`` (``run.py``) keeps its events in order (``seq`` =
index), so any number of subscribers, late ones included, read from a given ``seq`` and then
follow live.
When the run ends its status and result go to the store, and its events are kept in memory
for ``run_ttl_seconds`` (at most ``max_finished_runs`` runs) for late readers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .adapter import Adapter
from .context import RunContext, current_run
from .errors import QuotaExceeded, SessionBusy, StoreUnavailable, UnknownAgent, UnknownRun
from .events import (
    ANONYMOUS,
    InputRequired,
    MessageDelta,
    Principal,
    RunCancelled,
    RunCompleted,
    RunFailed,
    RunInput,
    RunStarted,
    UsageEvent,
    new_id,
)
from .run import Run, Subscription, events_adapter
from .signals import signals
from .store import RunRecord, Store

log = logging.getLogger("agenthost.runs")


@dataclass
class RunPolicy:
    session_policy: str = "reject"  # or "queue"
    cancel_on_disconnect: bool = True
    cancel_grace_seconds: float = 1.0
    run_ttl_seconds: float = 600.0
    max_finished_runs: int = 10_000
    stream_coalesce_seconds: float = 0.0
    max_concurrent_runs: int = 64  # per principal
    max_queued_runs: int = 64  # per principal
    max_finished_bytes: int = 256 * 1024 * 1024  # events of finished runs kept in memory
    max_active_runs: int = 4096  # running and queued, all principals: the host's own cap
    max_queued_per_session: int = 16


@dataclass
class AgentEntry:
    """An agent the host serves: its name, adapter and sandbox profile."""

    name: str
    adapter: Adapter
    sandbox: str = "default"


# (profile, session key, principal) -> Sandbox
SandboxProvider = Callable[[str, str, Principal], Awaitable[Any]]
SandboxReleaser = Callable[[str, str], Awaitable[None]]  # (profile, session key)


def _bump(counts: dict[str, int], key: str, delta: int) -> None:
    value = counts.get(key, 0) + delta
    if value > 0:
        counts[key] = value
    else:
        counts.pop(key, None)


class RunRegistry:
    """Every run of a host: start, get, subscribe, cancel."""

    def __init__(
        self,
        agents: dict[str, AgentEntry],
        store: Store,
        policy: RunPolicy | None = None,
        sandbox_provider: SandboxProvider | None = None,
        sandbox_releaser: SandboxReleaser | None = None,
    ):
        self.agents = agents
        self.store = store
        self.policy = policy or RunPolicy()
        self.sandbox_provider = sandbox_provider
        self.sandbox_releaser = sandbox_releaser
        self._running_by_owner: dict[str, int] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._packed_bytes = 0  # bytes held in _packed
        self._queued_by_session: dict[str, int] = {}
        self._active = 0  # running + queued runs, all principals (host.max_active_runs)
        self._queued_by_owner: dict[str, int] = {}
        self._runs: dict[str, Run] = {}  # live runs, and finished ones still being read
        # Finished runs nobody reads: (record JSON, events JSON). Bytes are invisible to the
        # garbage collector; ~100 tracked objects a kept run, times thousands of kept runs,
        # made full collections stall the server for hundreds of milliseconds.
        self._packed: dict[str, tuple[bytes, bytes]] = {}
        self._finished: OrderedDict[str, float] = OrderedDict()
        self._session_tail: dict[str, str] = {}  # session key -> its latest run id
        self._by_session: dict[str, set[str]] = {}  # session key -> its runs held here
        self.bus = store.run_bus(self)  # shares runs with other replicas (agenthost.bus)

    # -- lookup (every lookup by id is scoped to a principal: another's reads as unknown) --

    def get(self, run_id: str, principal: Principal = ANONYMOUS) -> Run | None:
        """``principal``'s live (or recently finished) run, with its events; None when gone."""
        run = self._runs.get(run_id)
        if run is None and run_id in self._packed:
            record_json, events_json = self._packed[run_id]
            run = Run.finished(RunRecord.model_validate_json(record_json), events_json)
        if run is None or run.record.owner != principal.id:
            return None
        return run

    async def lookup(self, run_id: str, principal: Principal = ANONYMOUS) -> Run | None:
        """Like ``get``, and also a run another replica holds (through ``bus``)."""
        return self.get(run_id, principal) or await self.bus.lookup(run_id, principal)

    async def record(self, run_id: str, principal: Principal = ANONYMOUS) -> RunRecord:
        """``principal``'s run record, from memory or the store; raises UnknownRun."""
        run = self._runs.get(run_id)
        if run is not None:
            record = run.record
        elif run_id in self._packed:
            record = RunRecord.model_validate_json(self._packed[run_id][0])
        else:
            stored = await self.store.get_run(run_id)
            if stored is None:
                raise UnknownRun(run_id)
            record = stored
        if record.owner != principal.id:
            raise UnknownRun(run_id)
        return record

    def active(self) -> list[Run]:
        return [r for r in self._runs.values() if not r.done]

    def session_run(self, session_id: str, principal: Principal = ANONYMOUS) -> Run | None:
        """The latest run of ``principal``'s session still held in memory."""
        run_id = self._session_tail.get(principal.key(session_id))
        return self.get(run_id, principal) if run_id is not None else None

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
        away never cancels them. The run belongs to ``input.principal``. Raises UnknownAgent,
        SessionBusy under the reject policy, or QuotaExceeded.
        """
        entry = self.agents.get(input.agent)
        if entry is None:
            raise UnknownAgent(input.agent, sorted(self.agents))
        principal = input.principal
        ephemeral = input.session_id is None
        session_id = input.session_id or new_id("s")
        session_key = principal.key(session_id)
        input = input.model_copy(update={"session_id": session_id})
        previous = self._runs.get(self._session_tail.get(session_key, ""))
        if previous is not None and previous.done:
            previous = None
        if previous is not None and self.policy.session_policy == "reject":
            raise SessionBusy(session_id, previous.run_id)
        try:
            self._check_quota(principal, session_key, queued=previous is not None)
        except QuotaExceeded as exc:
            if signals.active:
                signals.quota_rejected(exc.limit, principal.id)
            raise
        run_id = run_id or new_id("r")
        holder = None  # the run holding the session on another replica
        if previous is None and not ephemeral:
            holder = await self.bus.claim_session(session_key, run_id)
            if holder is not None and self.policy.session_policy == "reject":
                raise SessionBusy(session_id, holder)
        record = RunRecord(
            run_id=run_id,
            agent=entry.name,
            session_id=session_id,
            owner=principal.id,
            status="queued" if previous or holder else "running",
            input=input.messages,
            metadata=metadata or {},
        )
        run = Run(record, input, detached=detached)
        run.ephemeral = ephemeral
        run.ctx = RunContext(
            run_id=record.run_id,
            agent=entry.name,
            session_id=session_key,
            principal=principal,
            emit=run.append,
            history=lambda: self.store.get_messages(session_key),
            sandbox=lambda: self._sandbox_for(entry, session_key, principal),
            store=self.store,
        )
        self._runs[record.run_id] = run
        self._session_tail[session_key] = record.run_id
        self._by_session.setdefault(session_key, set()).add(record.run_id)
        self._count(run, +1)
        try:
            stored = time.perf_counter()
            await self.store.save_run(record)
            if signals.active:
                signals.store_call("save_run", time.perf_counter() - stored)
        except Exception as exc:
            # Roll the registration back: the session stays free for the next run.
            self._count(run, -1)
            del self._runs[record.run_id]
            self._unindex(session_key, record.run_id)
            await self.bus.release_session(session_key, record.run_id)
            if previous is not None:
                self._session_tail[session_key] = previous.run_id
            else:
                self._session_tail.pop(session_key, None)
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
        run.task = asyncio.create_task(self._drive(run, entry, previous), name=record.run_id)
        self.bus.started(run)
        return run

    def _check_quota(self, principal: Principal, session_key: str, *, queued: bool) -> None:
        if self._active >= self.policy.max_active_runs:
            raise QuotaExceeded("host.max_active_runs", self.policy.max_active_runs, "*")
        if queued:
            waiting = self._queued_by_session.get(session_key, 0)
            if waiting >= self.policy.max_queued_per_session:
                raise QuotaExceeded(
                    "host.max_queued_per_session", self.policy.max_queued_per_session,
                    principal.id,
                )
            if self._queued_by_owner.get(principal.id, 0) >= self.policy.max_queued_runs:
                raise QuotaExceeded("max_queued_runs", self.policy.max_queued_runs, principal.id)
        elif self._running_by_owner.get(principal.id, 0) >= self.policy.max_concurrent_runs:
            raise QuotaExceeded(
                "max_concurrent_runs", self.policy.max_concurrent_runs, principal.id
            )

    def _count(self, run: Run, delta: int) -> None:
        """Keep the per-principal running/queued counts the quotas read."""
        queued = run.record.status == "queued"
        self._active += delta
        _bump(self._queued_by_owner if queued else self._running_by_owner, run.record.owner, delta)
        if queued:
            _bump(self._queued_by_session, run.session_key, delta)

    async def _sandbox_for(self, entry: AgentEntry, session_key: str, principal: Principal) -> Any:
        if self.sandbox_provider is None:
            raise RuntimeError("this host has no sandbox layer configured")
        return await self.sandbox_provider(entry.sandbox, session_key, principal)

    async def _drive(self, run: Run, entry: AgentEntry, previous: Run | None) -> None:
        ctx = run.ctx
        assert ctx is not None
        current_run.set(ctx)  # the task has its own context copy
        terminal: Any = None
        input_required = False
        try:
            if run.record.status == "queued":
                if previous is not None:
                    await previous.wait()
                await self.bus.claim_session(run.session_key, run.run_id, wait=True)
                self._count(run, -1)
                run.record.status = "running"
                self._count(run, +1)
            run.append(RunStarted(agent=entry.name, session_id=run.record.session_id))
            default_message = "m_" + run.run_id[2:]
            async for item in entry.adapter.run(run.input, ctx):
                if isinstance(item, str):
                    item = MessageDelta.model_construct(message_id=default_message, text=item)
                elif item.type in ("message.delta", "reasoning.delta") and not item.message_id:
                    item.message_id = default_message
                elif item.type in ("run.completed", "run.failed", "run.cancelled"):
                    terminal = item
                    break
                elif item.type == "run.started":
                    continue
                input_required = input_required or isinstance(item, InputRequired)
                run.append(item)
            if terminal is None:
                terminal = (
                    RunCancelled(reason=run._cancel_reason or "cancelled")
                    if ctx.cancelled.is_set()
                    else RunCompleted()
                )
        except asyncio.CancelledError:
            terminal = RunCancelled(reason=run._cancel_reason or "cancelled")
        except Exception as exc:
            log.debug("run %s failed", run.run_id, exc_info=True)
            terminal = RunFailed(code=type(exc).__name__, message=str(exc) or repr(exc))
        finally:
            if terminal is None:  # e.g. BaseException
                terminal = RunFailed(code="internal_error", message="run ended abnormally")
            elif run.ephemeral and not run.done:
                # Before the terminal event: a client that saw the run end sees no sandbox left.
                await self._release_sandbox(run, entry)
            self._finish(run, terminal, input_required=input_required)
            await self._persist(run)
            self._pack(run)
            if run.ephemeral:
                await self._release_sandbox(run, entry)  # a forced stop ended it before

    async def _release_sandbox(self, run: Run, entry: AgentEntry) -> None:
        if self.sandbox_releaser is None:
            return
        try:
            await self.sandbox_releaser(entry.sandbox, run.session_key)
        except Exception:
            log.exception("could not release the sandbox of run %s", run.run_id)

    def _finish(self, run: Run, terminal: Any, *, input_required: bool = False) -> None:
        if run.done:
            return
        self._count(run, -1)
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
        stored = time.perf_counter()
        try:
            if record.status in ("completed", "input_required"):
                await self.store.append_messages(run.session_key, record.input + record.output)
            await self.store.save_run(record)
        except Exception:
            log.exception("could not store run %s", record.run_id)
        if signals.active:
            signals.store_call("persist_run", time.perf_counter() - stored)
        await self.bus.ended(run)

    def _remember_finished(self, run: Run) -> None:
        self._finished[run.run_id] = time.monotonic()
        self._evict()

    def _evict(self) -> None:
        """Forget the oldest finished runs past the TTL, the count or the byte budget."""
        horizon = time.monotonic() - self.policy.run_ttl_seconds
        while self._finished:
            run_id, finished_at = next(iter(self._finished.items()))
            if (
                finished_at >= horizon
                and len(self._finished) <= self.policy.max_finished_runs
                and self._packed_bytes <= self.policy.max_finished_bytes
            ):
                break
            self._finished.popitem(last=False)
            self.forget(run_id)

    def _pack(self, run: Run) -> None:
        """Keep a finished run nobody reads as bytes (see ``_packed``)."""
        if not run.done or run.subscribers or run.run_id not in self._runs:
            return
        events_json = events_adapter.dump_json(run._events)
        record_json = run.record.model_dump_json().encode()
        self._packed[run.run_id] = (record_json, events_json)
        self._packed_bytes += len(record_json) + len(events_json)
        del self._runs[run.run_id]
        if self._packed_bytes > self.policy.max_finished_bytes:
            self._evict()

    def forget(self, run_id: str) -> None:
        """Drop a finished run's events from memory (its record stays in the store)."""
        run = self._runs.get(run_id)
        if run is not None and not run.done:
            raise ValueError(f"run {run_id!r} is still active")
        self._runs.pop(run_id, None)
        record_json, events_json = self._packed.pop(run_id, (b"", b""))
        self._packed_bytes -= len(record_json) + len(events_json)
        record = (
            run.record
            if run is not None
            else (RunRecord.model_validate_json(record_json) if record_json else None)
        )
        if record is not None:
            session_key = record.session_key
            if self._session_tail.get(session_key) == run_id:
                del self._session_tail[session_key]
            self._unindex(session_key, run_id)
        self._finished.pop(run_id, None)

    def _unindex(self, session_key: str, run_id: str) -> None:
        runs = self._by_session.get(session_key)
        if runs is not None:
            runs.discard(run_id)
            if not runs:
                del self._by_session[session_key]

    async def forget_session(self, session_key: str) -> None:
        """Stop the session's runs and drop them from memory (deleting a session)."""
        run_ids = list(self._by_session.get(session_key, ()))
        for run_id in run_ids:
            run = self._runs.get(run_id)
            if run is not None and not run.done:
                await self.stop(run, "session deleted")
        for run_id in run_ids:
            run = self._runs.get(run_id)
            if run is not None:
                run.subscribers = 0  # readers still attached see the end they already have
            self._runs.pop(run_id, None)
            self.forget(run_id)
        self._session_tail.pop(session_key, None)

    # -- consume and cancel --------------------------------------------------------------

    def subscribe(
        self,
        run_id: str,
        after: int = -1,
        *,
        principal: Principal = ANONYMOUS,
        coalesce: float | None = None,
    ) -> Subscription:
        """Follow ``principal``'s run's events after ``seq`` (raises UnknownRun)."""
        run = self.get(run_id, principal)
        if run is None:
            raise UnknownRun(run_id)
        return self.follow(run, after, coalesce=coalesce)

    def follow(self, run: Run, after: int = -1, *, coalesce: float | None = None) -> Subscription:
        """Follow a run the caller holds (it started it, or looked it up scoped) after ``seq``;
        ``coalesce`` defaults to the host policy."""
        if coalesce is None:
            coalesce = self.policy.stream_coalesce_seconds
        return Subscription(self, run, after, coalesce)

    def _on_abandoned(self, run: Run) -> None:
        if not run.detached and self.policy.cancel_on_disconnect:
            self._spawn(self.stop(run, "client disconnected"), f"cancel {run.run_id}")

    def _spawn(self, work: Awaitable[Any], name: str) -> None:
        """Run ``work`` in the background, held (not garbage-collected) and logged if it fails."""
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %r failed", task.get_name(), exc_info=task.exception())

    async def cancel(
        self,
        run_id: str,
        reason: str = "cancelled by request",
        *,
        principal: Principal = ANONYMOUS,
    ) -> RunRecord:
        """Stop ``principal``'s run and end it with ``run.cancelled`` within the grace period."""
        run = self._runs.get(run_id)
        if run is None or run.record.owner != principal.id:
            remote = await self.bus.cancel(run_id, reason, principal)
            if remote is not None:
                return remote
            return await self.record(run_id, principal)  # raises UnknownRun when unknown
        return await self.stop(run, reason)

    async def stop(self, run: Run, reason: str = "cancelled") -> RunRecord:
        """Cancel a run the caller holds (see ``cancel``)."""
        run_id = run.run_id
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
        """Cancel every active run and let ended runs finish storing (host shutdown)."""
        await asyncio.gather(
            *(self.stop(r, "host shutting down") for r in self.active()),
            return_exceptions=True,
        )
        # A run that has ended may still be writing its record: the store closes after this.
        storing = {r.task for r in self._runs.values() if r.task is not None and not r.task.done()}
        if storing:
            await asyncio.wait(storing, timeout=self.policy.cancel_grace_seconds)


__all__ = ["AgentEntry", "Run", "RunPolicy", "RunRegistry", "Subscription", "UsageEvent"]
