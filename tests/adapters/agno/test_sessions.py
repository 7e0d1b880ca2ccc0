"""Sessions in Agno's db: on disk beside a sqlite store, more than Agno's 3 runs, isolated."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from agno.agent import Agent
from agno.db.base import SessionType
from agno.db.in_memory import InMemoryDb

from agenthost_agno import Reply, ScriptedModel
from agenthost_agno.testing import user_texts

from .hosting import serving


def echo_agent(**kwargs: Any) -> Agent:
    def echo(messages: list[Any]) -> str:
        return " | ".join(user_texts(messages))

    return Agent(model=ScriptedModel(turns=[echo], repeat_last=True), **kwargs)


async def test_sessions_survive_a_restart_on_a_sqlite_store(tmp_path: Path) -> None:
    store = {"backend": "sqlite", "path": str(tmp_path / "host.db")}
    async with serving(echo_agent(), store=store) as kit:
        assert (await kit.run("alpha", "s1")).text == "alpha"
    assert (tmp_path / "host.agno.db").is_file()
    async with serving(echo_agent(), store=store) as kit:  # a new host, a new Agent object
        assert (await kit.run("beta", "s1")).text == "alpha | beta"


async def test_history_keeps_more_than_agnos_three_runs() -> None:
    words = ["one", "two", "three", "four", "five"]
    async with serving(echo_agent()) as kit:
        for word in words:
            last = await kit.run(word, "s1")
    assert last.text == " | ".join(words)


async def test_history_runs_is_an_option() -> None:
    async with serving(echo_agent(), {"history_runs": 2}) as kit:
        for word in ["one", "two", "three", "four"]:
            last = await kit.run(word, "s1")
    assert last.text == "two | three | four"


async def test_concurrent_sessions_are_isolated() -> None:
    """Two sessions of one Agent object inside their tools at the same time."""
    gate, both_inside, inside = asyncio.Event(), asyncio.Event(), []

    async def wait_here(note: str) -> str:
        """Wait until the test opens the gate."""
        if note != "first-a":
            inside.append(note)
            if len(inside) == 2:
                both_inside.set()
            await gate.wait()
        return note

    def turn(messages: list[Any]) -> Any:
        texts = user_texts(messages)
        if messages[-1].role == "tool":
            return " | ".join(texts)
        return Reply("", [(f"c-{texts[-1]}", "wait_here", {"note": texts[-1]})])

    agent = Agent(model=ScriptedModel(turns=[turn], repeat_last=True), tools=[wait_here])
    async with serving(agent) as kit:
        await kit.run("first-a", "a")
        runs = [await kit.start("second-a", "a"), await kit.start("only-b", "b")]
        readers = [asyncio.create_task(kit.collect(r)) for r in runs]
        await asyncio.wait_for(both_inside.wait(), 10)
        gate.set()
        second_a, only_b = await asyncio.wait_for(asyncio.gather(*readers), 10)
    assert second_a.text == "first-a | second-a"
    assert only_b.text == "only-b"


async def test_the_agents_own_db_is_kept() -> None:
    db = InMemoryDb()
    async with serving(echo_agent(db=db)) as kit:
        await kit.run("alpha", "s1")
    session = db.get_session(session_id="s1", session_type=SessionType.AGENT)
    assert session is not None


async def test_db_none_keeps_no_memory() -> None:
    async with serving(echo_agent(), {"db": "none"}) as kit:
        await kit.run("alpha", "s1")
        assert (await kit.run("beta", "s1")).text == "beta"


async def test_sqlite_db_without_a_path_is_a_clear_error() -> None:
    async with serving(echo_agent(), {"db": "sqlite"}) as kit:
        result = await kit.run("hello", "s1")
    assert result.terminal.type == "run.failed"
    assert "db_path" in result.terminal.message
