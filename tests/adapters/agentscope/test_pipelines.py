"""TeamPipeline and GoalPipeline served like agents: per-session copies, cancel, approvals."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from agentscope.agent import Agent
from agentscope.pipeline import GoalPipeline, TeamMember, TeamPipeline
from agentscope.tool import Toolkit

from agenthost.testing.script import SlowToolState, lookup_tool, slow_tool
from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, function_tool
from agenthost_agentscope.testing import user_texts

from .test_adapter import serving


def assign(call_id: str, member: str, prompt: str) -> ScriptedAnswer:
    return ScriptedAnswer(
        tool_calls=[(call_id, "TeamAssign", {"member": member, "prompt": prompt})]
    )


def team(
    leader_turns: list[Any], member_turns: list[Any], tools: Sequence[Any] = ()
) -> TeamPipeline:
    member = Agent(
        name="weather",
        system_prompt="You know the weather.",
        model=ScriptedChatModel(member_turns),
        toolkit=Toolkit(list(tools)),
    )
    leader = Agent(
        name="lead", system_prompt="You lead a team.", model=ScriptedChatModel(leader_turns)
    )
    return TeamPipeline(leader, [TeamMember(agent=member, description="Knows the weather")])


async def test_a_team_streams_its_members_and_ends_once() -> None:
    pipeline = team([assign("t1", "weather", "Paris?"), "It is sunny."], ["Paris is sunny."])
    async with serving(pipeline) as kit:
        info = kit.host.agents["agent"].adapter.describe()
        result = await kit.run("weather in Paris?", "s1")
    assert kit.host.detect_adapter(pipeline) == "agentscope"
    assert [(s.id, s.description) for s in info.skills] == [("weather", "Knows the weather")]
    assert info.description == "You lead a team."
    assert result.terminal.type == "run.completed", result.describe()
    [call] = result.of("tool.call")
    assert (call.call_id, call.name) == ("t1", "TeamAssign")
    assert call.arguments == {"member": "weather", "prompt": "Paris?"}
    [answer] = result.of("tool.result")
    assert answer.call_id == "t1" and answer.output == "Paris is sunny." and not answer.is_error
    # the member's text streamed as its own message, before the leader's result and answer
    texts = [m.text_content for m in result.terminal.output]
    assert texts == ["Paris is sunny.", "It is sunny."]
    # each message names who said it: the member, then the leader
    assert [e.message.name for e in result.of("message.completed")] == ["weather", "lead"]
    assert [m.name for m in result.terminal.output] == ["weather", "lead"]
    assert result.delta_text == "Paris is sunny.It is sunny."


async def test_a_team_leader_remembers_the_session_and_sessions_are_apart() -> None:
    def echo(messages: list[Any]) -> str:
        return " | ".join(user_texts(messages))

    pipeline = team([echo] * 3, [])
    async with serving(pipeline) as kit:
        assert (await kit.run("alpha", "s1")).text == "alpha"
        assert (await kit.run("beta", "s1")).text == "alpha | beta"
        assert (await kit.run("gamma", "s2")).text == "gamma"


async def test_cancel_stops_a_members_tool_and_the_team_serves_the_next_run() -> None:
    state = SlowToolState()
    pipeline = team(
        [assign("t1", "weather", "wait"), "Back."],
        [ScriptedAnswer(tool_calls=[("c1", "slow", {"seconds": 30})]), "unused"],
        [function_tool(slow_tool(state))],
    )
    async with serving(pipeline) as kit:
        run = await kit.start("go", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await state.started.wait()
        await kit.host.runs.cancel(run.run_id)
        cancelled = await reader
        assert run.task is not None and run.task.done()
        after = await kit.run("are you there?", "s1")
    assert cancelled.terminal.type == "run.cancelled", cancelled.describe()
    assert state.cancelled and not state.finished
    assert after.terminal.type == "run.completed", after.describe()
    assert after.text == "Back."


async def test_a_members_approval_pauses_the_team_and_the_answer_resumes_it() -> None:
    calls: list[str] = []
    pipeline = team(
        [assign("t1", "weather", "Oslo?"), "The team says: sunny."],
        [ScriptedAnswer(tool_calls=[("c9", "lookup", {"city": "Oslo"})]), "Oslo is sunny."],
        [function_tool(lookup_tool("tok", calls), ask=True)],
    )
    async with serving(pipeline) as kit:
        first = await kit.run("weather in Oslo?", "s1")
        [asked] = first.of("run.input_required")
        assert asked.payload["agent"] == "weather"
        assert asked.payload["tool_calls"][0]["name"] == "lookup"
        second = await kit.run("approve", "s1")
    assert second.terminal.type == "run.completed", second.describe()
    assert calls == ["Oslo"]
    results = {r.call_id: r.output for r in second.of("tool.result")}
    assert "Oslo" in results["c9"] and results["t1"] == "Oslo is sunny."
    assert second.text.endswith("The team says: sunny.")


async def test_a_goal_pipeline_runs_executor_then_verifier() -> None:
    def structured(call_id: str, **output: Any) -> ScriptedAnswer:
        return ScriptedAnswer(tool_calls=[(call_id, "GenerateStructuredOutput", output)])

    executor = Agent(
        name="executor",
        system_prompt="You do the work.",
        model=ScriptedChatModel(["Working on it.", structured("r1", report="wrote hello.txt")]),
    )
    verifier = Agent(
        name="verifier",
        system_prompt="You check the work.",
        model=ScriptedChatModel([structured("v1", result="pass", message="")]),
    )
    pipeline = GoalPipeline(executor, verifier)
    async with serving(pipeline) as kit:
        result = await kit.run("write hello.txt", "s1")
    assert result.terminal.type == "run.completed", result.describe()
    names = [c.name for c in result.of("tool.call")]
    assert names == ["GenerateStructuredOutput", "GenerateStructuredOutput"], result.describe()
    assert result.of("tool.call")[0].arguments == {"report": "wrote hello.txt"}
    assert result.of("tool.call")[1].arguments == {"result": "pass", "message": ""}
