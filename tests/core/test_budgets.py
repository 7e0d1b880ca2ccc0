"""Memory by bytes, not counts; runs capped per host and per session; a store failure at
run start leaves the session free."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agenthost import Host, Message, RunInput
from agenthost.config import parse_config
from agenthost.errors import QuotaExceeded, StoreUnavailable
from agenthost.store.base import RunRecord
from agenthost.store.memory import MemoryOptions, MemoryStore

from .agents import Gate, slow_agent

KIB = 1024


async def big(input: RunInput) -> AsyncIterator[str]:
    yield "x" * (64 * KIB)


async def test_the_memory_store_keeps_within_its_byte_budget() -> None:
    store = MemoryStore(MemoryOptions(max_bytes=256 * KIB))
    blob = "y" * (32 * KIB)
    for i in range(40):  # ~1.3 MB of history written into a 256 KiB budget
        await store.append_messages(f"s{i}", [Message.text(blob)])
        await store.put("ns", f"k{i}", {"v": blob})
        await store.save_run(RunRecord(run_id=f"r{i}", agent="a", session_id=f"s{i}"))
        assert store.meter.used <= 256 * KIB + 40 * KIB  # the newest entry may overshoot once
    assert await store.get_messages("s39")  # the newest are kept
    assert await store.get("ns", "k39") is not None
    assert not await store.get_messages("s0")  # the oldest went first
    # accounting stays exact through deletes and updates
    for i in range(40):
        await store.delete_session(f"s{i}")
        await store.delete("ns", f"k{i}")
        await store.delete_run(f"r{i}")
    assert store.meter.used == 0


async def test_finished_runs_in_memory_keep_within_their_byte_budget() -> None:
    host = Host(parse_config({"host": {"max_finished_bytes": 300 * KIB}}))
    host.add_agent("big", big)
    await host.startup()
    try:
        run_ids = []
        for _ in range(12):  # ~770 KB of events into a 300 KiB budget
            run = await host.runs.start(RunInput(agent="big", messages=[Message.text("go")]))
            await run.wait()
            run_ids.append(run.run_id)
        assert host.runs._packed_bytes <= 300 * KIB + 70 * KIB
        assert host.runs.get(run_ids[-1]) is not None  # the newest events are kept
        assert host.runs.get(run_ids[0]) is None  # the oldest were let go ...
        assert (await host.runs.record(run_ids[0])).status == "completed"  # ... not the record
    finally:
        await host.shutdown()


async def test_active_runs_are_capped_per_host_and_per_session() -> None:
    gate = Gate()
    config = {"host": {"max_active_runs": 3, "session_policy": "queue",
                       "max_queued_per_session": 1}}
    host = Host(parse_config(config))
    host.add_agent("slow", slow_agent(gate))
    await host.startup()
    try:
        def start(session: str) -> Any:
            return host.runs.start(
                RunInput(agent="slow", messages=[Message.text("x")], session_id=session)
            )

        first = await start("a")
        await start("a")  # queued behind the first
        with pytest.raises(QuotaExceeded, match="max_queued_per_session = 1"):
            await start("a")
        await start("b")
        with pytest.raises(QuotaExceeded, match="max_active_runs = 3"):
            await start("c")
        await host.runs.stop(first)
    finally:
        gate.release.set()
        await host.shutdown()


class FailingStore(MemoryStore):
    """The memory store with writes that fail while ``broken`` is set (a disk error, say)."""

    broken = True

    async def save_run(self, record: RunRecord) -> None:
        if self.broken:
            raise OSError("disk I/O error")
        await super().save_run(record)


async def test_a_store_error_at_run_start_leaves_the_session_free() -> None:
    host = Host(parse_config({}))
    host.store = FailingStore()
    host.runs.store = host.store
    host.add_agent("big", big)
    await host.startup()
    try:
        request = RunInput(agent="big", messages=[Message.text("go")], session_id="s")
        with pytest.raises(StoreUnavailable, match="disk I/O error"):
            await host.runs.start(request)
        assert host.runs.session_run("s") is None
        host.store.broken = False
        run = await asyncio.wait_for(host.runs.start(request), 30)
        assert (await run.wait()).status == "completed"
    finally:
        await host.shutdown()
