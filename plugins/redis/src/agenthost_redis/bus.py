"""The Redis run bus: replicas share run events, cancels, session leases and liveness.

Keys and channels (``P`` is the store's prefix)::

    P events:{owner/run_id}   a run's events: one stream entry per batch, id 0-(last seq + 1);
                              entry 1-0 {"end": 1} once the run ended and its record is stored
    P lease:{session key}     the run holding the session (expires unless heartbeaten)
    P replica:{id}            a replica's heartbeat (expires after lease_seconds)
    P replica:{id}:runs       the runs a replica is running
    P replicas                every replica that heartbeats
    P cancel (channel)        {"run_id", "reason"}: the replica holding the run stops it
    P released (channel)      a session key whose lease was given up (wakes queued runs)

Readers on the replica that runs a run read its events from memory; only other replicas read
the stream. A run's events reach the stream in batches: the pump waits ``flush_ms`` after
new events so a burst of tokens is one ``XADD``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter

from agenthost.bus import RunBus
from agenthost.events import Event, Principal, RunFailed
from agenthost.runs import Run, RunRegistry
from agenthost.store import FINAL_STATUSES, RunRecord

from .remote import RemoteRun

if TYPE_CHECKING:
    from .store import RedisStore

log = logging.getLogger("agenthost.redis")
EVENTS: TypeAdapter[list[Event]] = TypeAdapter(list[Event])
TERMINAL = ("run.completed", "run.failed", "run.cancelled")
END_ID = "1-0"

# Give a lease up only if this run holds it.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', KEYS[2], ARGV[2])
  return 1
end
return 0
"""


def _entry_id(seq: int) -> str:
    return f"0-{seq + 1}"


class RedisRunBus(RunBus):
    def __init__(self, store: RedisStore, registry: RunRegistry):
        self.store = store
        self.registry = registry
        self.settings = store.settings
        self.replica = uuid.uuid4().hex[:12]
        self.lease_ms = int(self.settings.lease_seconds * 1000)
        self._local: dict[str, Run] = {}  # runs of this replica, until they end
        self._pumps: dict[str, asyncio.Task[None]] = {}
        self._leases: dict[str, str] = {}  # run id -> session key it holds
        self._freed: dict[str, asyncio.Event] = {}  # session key -> wakes claims waiting
        self._tasks: list[asyncio.Task[None]] = []

    def key(self, *parts: str) -> str:
        return self.store.key(*parts)

    def events_key(self, owner: str, run_id: str) -> str:
        return self.key("events", Principal(id=owner).key(run_id))

    # -- lifecycle ------------------------------------------------------------------------

    async def open(self) -> None:
        redis = self.store.redis
        self._release = redis.register_script(RELEASE)
        await self._heartbeat()
        self._tasks = [
            asyncio.create_task(self._beat_forever(), name="agenthost-redis-heartbeat"),
            asyncio.create_task(self._listen_forever(), name="agenthost-redis-listen"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        with contextlib.suppress(Exception):
            async with self.store.redis.pipeline(transaction=False) as pipe:
                pipe.delete(self.key("replica", self.replica))
                pipe.srem(self.key("replicas"), self.replica)
                await pipe.execute()

    # -- sessions -------------------------------------------------------------------------

    async def claim_session(
        self, session_key: str, run_id: str, *, wait: bool = False
    ) -> str | None:
        redis = self.store.redis
        key = self.key("lease", session_key)
        freed = self._freed.setdefault(session_key, asyncio.Event()) if wait else None
        try:
            while True:
                if freed is not None:
                    freed.clear()
                if await redis.set(key, run_id, nx=True, px=self.lease_ms):
                    self._leases[run_id] = session_key
                    return None
                holder = await redis.get(key)
                if holder is None:
                    continue  # it expired just now: try again
                if holder.decode() == run_id:
                    self._leases[run_id] = session_key
                    return None
                if freed is None:
                    return str(holder.decode())
                # Woken by a release here or on another replica; the timeout covers a holder
                # whose replica died (its lease expires instead of being released).
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.settings.lease_seconds / 2):
                        await freed.wait()
        finally:
            if freed is not None and self._freed.get(session_key) is freed:
                del self._freed[session_key]  # a second waiter here makes its own again

    async def release_session(self, session_key: str, run_id: str) -> None:
        self._leases.pop(run_id, None)
        try:
            await self._release(
                keys=[self.key("lease", session_key), self.key("released")],
                args=[run_id, session_key],
            )
        except Exception:
            log.exception("could not release the session lease of run %s", run_id)

    # -- runs of this replica -------------------------------------------------------------

    def started(self, run: Run) -> None:
        self._local[run.run_id] = run
        self._pumps[run.run_id] = asyncio.create_task(
            self._pump(run), name=f"agenthost-redis-pump-{run.run_id}"
        )

    async def _pump(self, run: Run) -> None:
        """Copy the run's events to its stream, one XADD per batch."""
        redis = self.store.redis
        key = self.events_key(run.record.owner, run.run_id)
        ttl = int(self.settings.events_ttl_seconds * 1000)
        with contextlib.suppress(Exception):
            await redis.sadd(self.key("replica", self.replica, "runs"), run.run_id)
        async for batch in run.batches(coalesce=self.settings.flush_ms / 1000):
            try:
                async with redis.pipeline(transaction=False) as pipe:
                    pipe.xadd(
                        key, {"e": EVENTS.dump_json(batch)}, id=_entry_id(batch[-1].seq),
                        maxlen=self.settings.max_event_batches, approximate=True,
                    )
                    pipe.pexpire(key, ttl)
                    await pipe.execute()
            except Exception as exc:  # Redis away: readers here still have every event
                log.warning("run %s: events not shared (%s)", run.run_id, exc)

    async def ended(self, run: Run) -> None:
        pump = self._pumps.pop(run.run_id, None)
        try:
            if pump is not None:
                async with asyncio.timeout(self.settings.command_timeout):
                    await asyncio.shield(pump)
            key = self.events_key(run.record.owner, run.run_id)
            async with self.store.redis.pipeline(transaction=False) as pipe:
                pipe.xadd(key, {"end": 1}, id=END_ID)
                pipe.pexpire(key, int(self.settings.events_ttl_seconds * 1000))
                pipe.srem(self.key("replica", self.replica, "runs"), run.run_id)
                await pipe.execute()
        except Exception:
            log.exception("run %s: could not tell the other replicas it ended", run.run_id)
        finally:
            self._local.pop(run.run_id, None)
        session_key = self._leases.get(run.run_id)
        if session_key is not None:
            await self.release_session(session_key, run.run_id)

    # -- runs of other replicas -----------------------------------------------------------

    async def lookup(self, run_id: str, principal: Principal) -> Run | None:
        record = await self.store.get_run(run_id)
        if record is None or record.owner != principal.id:
            return None
        key = self.events_key(record.owner, run_id)
        if record.status in FINAL_STATUSES and not await self.store.redis.exists(key):
            return None  # its events have expired
        return RemoteRun(record, self)

    async def follow(self, record: RunRecord, after: int) -> AsyncGenerator[list[Any], None]:
        """Events of a run on another replica with ``seq > after``, until its terminal one."""
        redis = self.store.redis
        key = self.events_key(record.owner, record.run_id)
        last_id = _entry_id(after)
        block_ms = int(min(5.0, self.settings.command_timeout / 2) * 1000)
        while True:
            reply = await redis.xread({key: last_id}, count=256, block=block_ms)
            if not reply:
                if not await redis.exists(key):
                    stored = await self.store.get_run(record.run_id)
                    if stored is None or stored.status in FINAL_STATUSES:
                        return  # gone, or ended and expired while we waited
                continue
            for entry_id, fields in reply[0][1]:
                last_id = entry_id
                if b"end" in fields:
                    return
                events = [e for e in EVENTS.validate_json(fields[b"e"]) if e.seq > after]
                if events:
                    after = events[-1].seq
                    yield events
                    if events[-1].type in TERMINAL:
                        return

    async def cancel(self, run_id: str, reason: str, principal: Principal) -> RunRecord | None:
        record = await self.store.get_run(run_id)
        if record is None or record.owner != principal.id:
            return None
        if record.status in FINAL_STATUSES:
            return record
        redis = self.store.redis
        key = self.events_key(record.owner, run_id)
        newest = await redis.xrevrange(key, count=1)
        last_id = newest[0][0] if newest else "0-0"
        if last_id != END_ID.encode():
            request = json.dumps({"run_id": run_id, "reason": reason})
            await redis.publish(self.key("cancel"), request)
            # The owner stops the run within its grace period; a dead owner is reaped within
            # a lease. Wait for whichever comes first, no longer.
            bound = self.registry.policy.cancel_grace_seconds + self.settings.lease_seconds * 1.5
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(bound + 1):
                    while True:
                        reply = await redis.xread({key: last_id}, block=1000)
                        entries = reply[0][1] if reply else []
                        if any(entry_id == END_ID.encode() for entry_id, _ in entries):
                            break
                        if entries:
                            last_id = entries[-1][0]
        return await self.store.get_run(run_id) or record

    # -- heartbeats, cancels, lost replicas -----------------------------------------------

    async def _heartbeat(self) -> None:
        async with self.store.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.key("replica", self.replica), int(time.time()), px=self.lease_ms)
            pipe.sadd(self.key("replicas"), self.replica)
            for session_key in list(self._leases.values()):
                pipe.pexpire(self.key("lease", session_key), self.lease_ms)
            for run_id in list(self._local):
                run = self._local[run_id]
                pipe.pexpire(
                    self.events_key(run.record.owner, run_id),
                    int(self.settings.events_ttl_seconds * 1000),
                )
            await pipe.execute()

    async def _beat_forever(self) -> None:
        interval = self.settings.lease_seconds / 3
        while True:
            await asyncio.sleep(interval)
            try:
                await self._heartbeat()
                await self._reap_lost()
            except Exception as exc:
                log.warning("redis heartbeat failed: %s", exc)

    async def _reap_lost(self) -> None:
        redis = self.store.redis
        replicas = [r.decode() for r in await redis.smembers(self.key("replicas"))]
        others = [r for r in replicas if r != self.replica]
        if not others:
            return
        for replica in others:
            if await redis.exists(self.key("replica", replica)):
                continue
            # One replica reaps each lost one.
            claim = self.key("reaping", replica)
            if await redis.set(claim, self.replica, nx=True, px=self.lease_ms):
                await self._reap(replica)

    async def _reap(self, replica: str) -> None:
        redis = self.store.redis
        runs_key = self.key("replica", replica, "runs")
        for raw in await redis.smembers(runs_key):
            run_id = raw.decode()
            record = await self.store.get_run(run_id)
            if record is None or record.status in FINAL_STATUSES:
                continue
            message = (
                f"replica lost: replica {replica} stopped heartbeating for "
                f"{self.settings.lease_seconds:g}s while running this run"
            )
            record.status = "failed"
            record.error = {"code": "replica_lost", "message": message}
            record.finished_at = time.time()
            await self.store.save_run(record)
            key = self.events_key(record.owner, run_id)
            newest = await redis.xrevrange(key, count=1)
            seq = int(newest[0][0].split(b"-")[1]) if newest else 0
            terminal = RunFailed(run_id=run_id, seq=seq, code="replica_lost", message=message)
            async with redis.pipeline(transaction=False) as pipe:
                pipe.xadd(key, {"e": EVENTS.dump_json([terminal])}, id=_entry_id(seq))
                pipe.xadd(key, {"end": 1}, id=END_ID)
                pipe.pexpire(key, int(self.settings.events_ttl_seconds * 1000))
                await pipe.execute()
            await self._release(
                keys=[self.key("lease", record.session_key), self.key("released")],
                args=[run_id, record.session_key],
            )
            log.warning("run %s failed: %s", run_id, message)
        async with redis.pipeline(transaction=False) as pipe:
            pipe.delete(runs_key)
            pipe.srem(self.key("replicas"), replica)
            await pipe.execute()

    async def _listen_forever(self) -> None:
        backoff = 0.1
        while True:
            try:
                pubsub = self.store.redis.pubsub(ignore_subscribe_messages=True)
                async with pubsub:
                    await pubsub.subscribe(self.key("cancel"), self.key("released"))
                    backoff = 0.1
                    async for message in pubsub.listen():
                        self._on_message(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis subscription lost (%s); resubscribing", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.lease_seconds / 3)

    def _on_message(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        data = message["data"].decode()
        if channel == self.key("released"):
            freed = self._freed.get(data)
            if freed is not None:
                freed.set()
            return
        request = json.loads(data)
        run = self._local.get(request["run_id"])
        if run is not None and not run.done:
            asyncio.get_running_loop().create_task(
                self.registry.stop(run, request.get("reason") or "cancelled")
            )
