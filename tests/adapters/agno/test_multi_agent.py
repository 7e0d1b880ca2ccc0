"""Teams and workflows: members' events attributed, one terminal event, cancel reaches members."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from agno.agent import Agent
from agno.db.in_memory import InMemoryDb
from agno.team import Team
from agno.workflow import Workflow
from agno.workflow.step import Step

from agenthost.testing.script import SlowToolState, lookup_tool, slow_tool
from agenthost_agno import Reply, ScriptedModel

from .hosting import serving

USAGE = {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}


def delegate(call_id: str, member: str, task: str) -> Reply:
    return Reply(
        "Delegating.", [(call_id, "delegate_task_to_member", {"member_id": member, "task": task})]
    )


def weather_team(calls: list[str]) -> Team:
    member = Agent(
        name="weather",
        id="weather",
        role="knows the weather",
        model=ScriptedModel(
            turns=[Reply("Looking.", [("m1", "lookup", {"city": "Oslo"})]), "Oslo is sunny."],
            usage=USAGE,
        ),
        tools=[lookup_tool("tok-team", calls)],
    )
    leader = ScriptedModel(
        turns=[delegate("t1", "weather", "weather in Oslo"), "The crew says sunny."], usage=USAGE
    )
    return Team(name="crew", members=[member], model=leader)


async def test_a_members_events_are_its_own_and_do_not_end_the_run() -> None:
    calls: list[str] = []
    async with serving(weather_team(calls)) as kit:
        result = await kit.run("weather?", "s1")
        info = kit.host.agents["agent"].adapter.describe()
    assert result.terminal.type == "run.completed", result.describe()
    assert calls == ["Oslo"]
    tool_calls = [(c.call_id, c.name) for c in result.of("tool.call")]
    assert tool_calls == [("t1", "delegate_task_to_member"), ("m1", "lookup")]
    results = {r.call_id: r for r in result.of("tool.result")}
    assert "tok-team" in results["m1"].output
    assert results["t1"].output == "Looking.Oslo is sunny."  # the member's answer, to the leader
    completed = [e.message.text_content for e in result.of("message.completed")]
    assert completed == ["Delegating.", "Looking.", "Oslo is sunny.", "The crew says sunny."]
    assert [e.message.name for e in result.of("message.completed")] == [
        None,
        "weather",
        "weather",
        None,
    ]
    assert len({e.message.id for e in result.of("message.completed")}) == 4
    assert result.text == "Delegating.Looking.Oslo is sunny.The crew says sunny."
    # leader: 2 model calls, member: 2 model calls; each counted once
    assert result.terminal.usage.input_tokens == 12 and result.terminal.usage.output_tokens == 20
    assert [(s.id, s.description) for s in info.skills] == [("weather", "knows the weather")]


async def test_cancel_stops_a_members_running_tool() -> None:
    """agno-agi/agno#7730: cancelling a team leaves a member's tool running; not here."""
    state = SlowToolState()
    member = Agent(
        name="sleeper",
        id="sleeper",
        model=ScriptedModel(turns=[Reply("", [("m1", "slow", {"seconds": 30})]), "woke"]),
        tools=[slow_tool(state)],
    )
    leader = ScriptedModel(turns=[delegate("t1", "sleeper", "sleep"), "recovered"])
    team = Team(name="crew", members=[member], model=leader, db=InMemoryDb())
    async with serving(team) as kit:
        run = await kit.start("sleep a while", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await state.started.wait()
        asked = time.monotonic()
        await kit.host.runs.cancel(run.run_id)
        result = await reader
        assert result.terminal.type == "run.cancelled", result.describe()
        assert run.task is not None and run.task.done()
        # the member's tool got the cancellation (it is not left running to its end)
        for _ in range(100):
            if state.cancelled:
                break
            await asyncio.sleep(0)
        assert state.cancelled and not state.finished, (
            f"cancel took {time.monotonic() - asked:.2f} s"
        )
        after = await kit.run("still there?", "s1")
    assert after.terminal.type == "run.completed", after.describe()
    assert after.text == "recovered"


def pipeline() -> Workflow:
    writer = Agent(name="writer", model=ScriptedModel(turns=["Draft one."], usage=USAGE))
    editor = Agent(name="editor", model=ScriptedModel(turns=["Edited draft."], usage=USAGE))
    steps: list[Any] = [
        Step(name="write", agent=writer, description="writes a draft"),
        Step(name="edit", agent=editor, description="edits it"),
    ]
    return Workflow(name="pipe", steps=steps)


async def test_a_workflow_streams_each_step_once() -> None:
    async with serving(pipeline()) as kit:
        result = await kit.run("write something", "s1")
        info = kit.host.agents["agent"].adapter.describe()
    assert result.terminal.type == "run.completed", result.describe()
    completed = [e.message.text_content for e in result.of("message.completed")]
    assert completed == ["Draft one.", "Edited draft."]  # WorkflowCompleted's copy is dropped
    assert [e.message.name for e in result.of("message.completed")] == ["writer", "editor"]
    assert result.delta_text == "Draft one.Edited draft."
    assert result.terminal.usage.output_tokens == 10
    assert [s.id for s in info.skills] == ["write", "edit"]


async def test_a_workflow_cancel_stops_a_steps_tool() -> None:
    state = SlowToolState()
    sleeper = Agent(
        name="sleeper",
        model=ScriptedModel(turns=[Reply("", [("c1", "slow", {"seconds": 30})]), "woke"]),
        tools=[slow_tool(state)],
    )
    async with serving(Workflow(name="w", steps=[Step(name="sleep", agent=sleeper)])) as kit:
        run = await kit.start("go", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await state.started.wait()
        await kit.host.runs.cancel(run.run_id)
        result = await reader
    assert result.terminal.type == "run.cancelled", result.describe()
    assert state.cancelled and not state.finished
