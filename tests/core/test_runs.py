"""The run registry through its public API (no HTTP): fan-out, replay, cancel, policy, memory."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agenthost import RunInput, SessionBusy
from agenthost.config import parse_config
from agenthost.events import Message
from agenthost.host import Host

from .agents import Gate, boom, echo, slow_agent, tokens


def make_host(**host_options: Any) -> Host:
    host = Host(parse_config({"host": host_options, "frontends": {}}))
    host.add_agent("echo", echo)
    host.add_agent("tokens", tokens)
    host.add_agent("boom", boom)
    return host


async def collect(host: Host, run_id: str, after: int = -1) -> list[Any]:
    out = []
    async with host.runs.subscribe(run_id, after) as sub:
        async for batch in sub:
            out.extend(batch)
    return out


def text_input(agent: str, text: str, session: str | None = None) -> RunInput:
    return RunInput(agent=agent, messages=[Message.text(text)], session_id=session)


async def test_events_are_stamped_in_order_and_end_with_one_terminal() -> None:
    host = make_host()
    run = await host.runs.start(text_input("tokens", "go"))
    events = await collect(host, run.run_id)
    assert [e.seq for e in events] == list(range(len(events)))
    assert {e.run_id for e in events} == {run.run_id}
    types = [e.type for e in events]
    assert types[0] == "run.started" and types[-1] == "run.completed"
    assert sum(t in ("run.completed", "run.failed", "run.cancelled") for t in types) == 1
    deltas = "".join(e.text for e in events if e.type == "message.delta")
    completed = next(e for e in events if e.type == "message.completed")
    assert completed.message.text_content == deltas == "".join(f"t{i} " for i in range(20))
    assert events[-1].usage.output_tokens == 20
    assert events[-1].output[0].text_content == deltas


async def test_late_subscriber_replays_from_a_seq() -> None:
    host = make_host()
    run = await host.runs.start(text_input("tokens", "go"))
    everything = await collect(host, run.run_id)
    tail = await collect(host, run.run_id, after=5)
    assert [e.seq for e in tail] == [e.seq for e in everything[6:]]


async def test_many_subscribers_see_the_same_stream() -> None:
    host = make_host()
    gate = Gate()
    host.add_agent("slow", slow_agent(gate))
    run = await host.runs.start(text_input("slow", "x"), detached=True)
    readers = [asyncio.create_task(collect(host, run.run_id)) for _ in range(3)]
    await gate.entered.wait()
    gate.release.set()
    results = await asyncio.gather(*readers)
    assert results[0] == results[1] == results[2]
    assert results[0][-1].type == "run.completed"


async def test_cancel_stops_the_agents_work() -> None:
    host = make_host()
    gate = Gate()
    host.add_agent("slow", slow_agent(gate))
    run = await host.runs.start(text_input("slow", "x"))
    await gate.entered.wait()
    record = await host.runs.cancel(run.run_id)
    assert record.status == "cancelled"
    assert gate.cancelled and not gate.after_release
    assert run.events[-1].type == "run.cancelled"


async def test_last_subscriber_leaving_cancels_a_client_owned_run() -> None:
    host = make_host()
    gate = Gate()
    host.add_agent("slow", slow_agent(gate))
    run = await host.runs.start(text_input("slow", "x"))
    async with host.runs.subscribe(run.run_id) as sub:
        async for batch in sub:
            if any(e.type == "tool.call" for e in batch):
                break  # the client goes away mid-run
    record = await run.wait()
    assert record.status == "cancelled" and gate.cancelled


async def test_detached_run_survives_its_subscriber_leaving() -> None:
    host = make_host()
    gate = Gate()
    host.add_agent("slow", slow_agent(gate))
    run = await host.runs.start(text_input("slow", "x"), detached=True)
    async with host.runs.subscribe(run.run_id) as sub:
        async for _ in sub:
            break
    await gate.entered.wait()
    gate.release.set()
    assert (await run.wait()).status == "completed" and gate.after_release


async def test_swallowed_cancellation_still_ends_within_grace() -> None:
    host = make_host(cancel_grace_seconds=0.2)
    stuck = asyncio.Event()

    async def stubborn(input: RunInput) -> AsyncIterator[str]:
        yield "working"
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stuck.set()  # a framework that swallows the first cancel...
        await asyncio.Event().wait()  # ...and only stops at the second

    host.add_agent("stubborn", stubborn)
    run = await host.runs.start(text_input("stubborn", "x"))
    await collect_until(host, run.run_id, "message.delta")
    record = await host.runs.cancel(run.run_id)
    assert record.status == "cancelled" and stuck.is_set()
    assert run.events[-1].type == "run.cancelled"
    run.task.cancel()  # let the test end cleanly


async def collect_until(host: Host, run_id: str, event_type: str) -> None:
    async with host.runs.subscribe(run_id) as sub:
        async for batch in sub:
            if any(e.type == event_type for e in batch):
                sub.finished = True  # not a disconnect
                return


async def test_agent_exception_becomes_run_failed() -> None:
    host = make_host()
    run = await host.runs.start(text_input("boom", "x"))
    events = await collect(host, run.run_id)
    assert events[-1].type == "run.failed"
    assert events[-1].code == "ValueError"
    assert events[-1].message == "the agent broke on purpose"
    assert (await host.runs.record(run.run_id)).error == {
        "code": "ValueError", "message": "the agent broke on purpose"}


async def test_reject_policy_refuses_a_second_run_on_a_busy_session() -> None:
    host = make_host()
    gate = Gate()
    host.add_agent("slow", slow_agent(gate))
    first = await host.runs.start(text_input("slow", "x", "s1"), detached=True)
    with pytest.raises(SessionBusy, match="session 's1' already has an active run"):
        await host.runs.start(text_input("echo", "y", "s1"))
    other = await host.runs.start(text_input("echo", "y", "s2"))
    assert (await other.wait()).status == "completed"
    gate.release.set()
    await first.wait()
    again = await host.runs.start(text_input("echo", "z", "s1"))
    assert (await again.wait()).status == "completed"


async def test_queue_policy_runs_one_after_the_other() -> None:
    host = make_host(session_policy="queue")
    gate = Gate()
    host.add_agent("slow", slow_agent(gate))
    first = await host.runs.start(text_input("slow", "x", "s1"), detached=True)
    second = await host.runs.start(text_input("echo", "queued words", "s1"), detached=True)
    assert second.status == "queued"
    await gate.entered.wait()
    assert second.events == []  # nothing started while the first runs
    gate.release.set()
    assert (await second.wait()).status == "completed"
    assert first.record.finished_at <= second.record.finished_at


async def test_finished_runs_are_bounded_in_memory_but_kept_in_the_store() -> None:
    host = make_host(max_finished_runs=3)
    runs = [await host.runs.start(text_input("echo", f"n{i}")) for i in range(6)]
    for run in runs:
        await run.wait()
    kept = [r for r in runs if host.runs.get(r.run_id) is not None]
    assert [r.run_id for r in kept] == [r.run_id for r in runs[-3:]]
    record = await host.runs.record(runs[0].run_id)
    assert record.status == "completed" and record.output[0].text_content == "n0 "


async def test_session_history_is_recorded() -> None:
    host = make_host()
    from .agents import remembers

    host.add_agent("remembers", remembers)
    first = await host.runs.start(text_input("echo", "hello there", "s9"))
    await first.wait()
    second = await host.runs.start(text_input("remembers", "again", "s9"))
    await second.wait()
    assert second.record.output[0].text_content == "history=2 last=hello there "


async def test_memory_store_forgets_the_oldest_sessions_past_its_cap() -> None:
    from agenthost.store.memory import MemoryOptions, MemoryStore

    store = MemoryStore(MemoryOptions(max_sessions=2, max_runs=2, max_records=2))
    for session in ["a", "b", "c"]:
        await store.append_messages(session, [Message.text(session)])
    await store.append_messages("b", [Message.text("again")])
    assert await store.get_messages("a") == []
    assert [m.text_content for m in await store.get_messages("b")] == ["b", "again"]
    for key in ["x", "y", "z"]:
        await store.put("ns", key, {"k": key})
    assert [k for k, _ in await store.scan("ns")] == ["y", "z"]
