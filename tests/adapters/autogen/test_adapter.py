"""AutoGen-specific behaviour of the adapter, through the host's run API (no HTTP)."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from autogen_agentchat.agents import AssistantAgent, UserProxyAgent
from autogen_agentchat.conditions import (
    HandoffTermination,
    MaxMessageTermination,
    TextMentionTermination,
)
from autogen_agentchat.teams import RoundRobinGroupChat, Swarm
from autogen_core import Image
from autogen_core.models import FunctionExecutionResultMessage, UserMessage

from agenthost import FilePart, Host, Message, RunInput, TextPart
from agenthost.config import parse_config
from agenthost.testing.adapter_suite import KitHost, RunResult
from agenthost_autogen import Answer, ScriptedChatClient
from agenthost_autogen.inputs import chat_message
from agenthost_autogen.sessions import CANCELLED

from .agents import echo


def png() -> bytes:
    """A real 2x2 PNG (AutoGen decodes images with Pillow, one of its dependencies)."""
    from PIL import Image as PILImage

    out = io.BytesIO()
    PILImage.new("RGB", (2, 2), "red").save(out, "PNG")
    return out.getvalue()


@asynccontextmanager
async def serving(agent: Any, **config: Any) -> AsyncIterator[KitHost]:
    host = Host(parse_config({"frontends": {}, **config}, "<test>"))
    host.add_agent("agent", agent)
    await host.startup()
    try:
        yield KitHost(host, "agent")
    finally:
        await host.shutdown()


def bounded(coro: Any) -> Any:
    return asyncio.wait_for(coro, 20)


def assistant(client: ScriptedChatClient, name: str = "assistant", **kw: Any) -> AssistantAgent:
    return AssistantAgent(name, model_client=client, model_client_stream=True, **kw)


def texts(result: RunResult) -> list[str]:
    return [e.message.text_content for e in result.of("message.completed")]


# --------------------------------------------------------------------------- streaming


async def test_reasoning_and_text_sent_with_tool_calls_are_not_repeated() -> None:
    async def lookup(city: str) -> str:
        """Look up the weather."""
        return f"sunny in {city}"

    client = ScriptedChatClient([
        Answer("Let me look.", calls=[("c1", "lookup", {"city": "Paris"})], reasoning="Think."),
        Answer("It is sunny.", reasoning="Easy."),
    ])
    agent = assistant(client, tools=[lookup], reflect_on_tool_use=True)
    async with serving(agent) as kit:
        result = await bounded(kit.run("weather?"))
    assert result.terminal.type == "run.completed", result.describe()
    assert "".join(e.text for e in result.of("reasoning.delta")) == "Think.Easy."
    assert result.delta_text == "Let me look.It is sunny."  # the ThoughtEvent repeat is dropped
    assert texts(result) == ["Let me look.", "It is sunny."]
    # A single agent's messages are its own: unnamed (its AgentChat source is "assistant").
    assert [e.message.name for e in result.of("message.completed")] == [None, None]
    ids = [e.message.id for e in result.of("message.completed")]
    assert len(set(ids)) == 2
    [call] = result.of("tool.call")
    [tool_result] = result.of("tool.result")
    assert (call.call_id, call.name, call.arguments) == ("c1", "lookup", {"city": "Paris"})
    assert (tool_result.call_id, tool_result.output) == ("c1", "sunny in Paris")
    kinds = [e.type for e in result.events]
    assert kinds.index("tool.call") < kinds.index("tool.result")
    assert not any(isinstance(m, UserMessage) and m.source == "assistant"
                   for m in client.log.seen[-1])


async def test_usage_is_summed_per_model_call_and_zero_is_not_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def lookup(city: str) -> str:
        """Look up the weather."""
        return city

    counted = ScriptedChatClient([
        Answer(calls=[("c1", "lookup", {"city": "Oslo"})], usage=(10, 2)),
        Answer("Done.", usage=(20, 4)),
    ])
    async with serving(assistant(counted, tools=[lookup], reflect_on_tool_use=True)) as kit:
        result = await bounded(kit.run("go"))
    usage = result.terminal.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (30, 6, 36)
    assert len(result.of("usage")) == 2

    uncounted = ScriptedChatClient(["Done."])  # a streaming client without include_usage
    with caplog.at_level(logging.WARNING, "agenthost.autogen"):
        async with serving(assistant(uncounted)) as kit:
            result = await bounded(kit.run("go"))
    assert result.of("usage") == [] and result.terminal.usage is None
    assert "include_usage" in caplog.text

    zeros = ScriptedChatClient(["Done."])
    host = Host(parse_config({"frontends": {}}, "<test>"))
    host.add_agent("agent", assistant(zeros), options={"zero_usage": "report"})
    await host.startup()
    try:
        result = await bounded(KitHost(host, "agent").run("go"))
    finally:
        await host.shutdown()
    assert [e.usage.total_tokens for e in result.of("usage")] == [0]


async def test_a_team_streams_each_member_and_ends_with_its_stop_reason() -> None:
    writer = assistant(ScriptedChatClient(["A draft."]), "writer")
    critic = assistant(ScriptedChatClient(["Good. APPROVED"]), "critic")
    team = RoundRobinGroupChat([writer, critic],
                               termination_condition=TextMentionTermination("APPROVED"))
    async with serving(team) as kit:
        result = await bounded(kit.run("write something"))
        info = kit.host.agents["agent"].adapter.describe()
    assert result.terminal.type == "run.completed", result.describe()
    assert texts(result) == ["A draft.", "Good. APPROVED"]
    assert [e.message.name for e in result.of("message.completed")] == ["writer", "critic"]
    # The output messages too; the stop reason is the team's own.
    assert [m.name for m in result.terminal.output] == ["writer", "critic", None]
    assert len(result.of("message.delta")) >= 3  # streamed, member by member
    assert result.terminal.output[-1].parts[0].data == {
        "stop_reason": "Text 'APPROVED' mentioned"
    }
    assert [s.id for s in info.skills] == ["writer", "critic"]


# --------------------------------------------------------------------------- sessions


async def test_concurrent_sessions_get_their_own_objects() -> None:
    """Two sessions of one served instance run at once; neither sees the other's turns."""
    gates = {"alpha": asyncio.Event(), "beta": asyncio.Event()}
    started = {"alpha": asyncio.Event(), "beta": asyncio.Event()}

    async def hold(word: str) -> str:
        """Wait for the test."""
        started[word].set()
        await gates[word].wait()
        return word

    def turn(messages: Any) -> Answer:
        last = messages[-1]
        if isinstance(last, FunctionExecutionResultMessage):
            return echo(messages)
        word = str(last.content)
        return Answer(calls=[(f"c-{word}", "hold", {"word": word})])

    client = ScriptedChatClient([turn], repeat_last=True)
    agent = assistant(client, tools=[hold], reflect_on_tool_use=True)
    async with serving(agent) as kit:
        a = await kit.start("alpha", "sa")
        b = await kit.start("beta", "sb")
        await bounded(asyncio.gather(started["alpha"].wait(), started["beta"].wait()))
        gates["beta"].set()
        gates["alpha"].set()
        first_a, first_b = await bounded(asyncio.gather(kit.collect(a), kit.collect(b)))
        again = await bounded(kit.run("again", "sa"))
    assert first_a.text == "alpha" and first_b.text == "beta"
    assert again.text == "alpha | again", again.describe()


async def test_a_restart_with_sqlite_keeps_the_conversation(tmp_path: Any) -> None:
    store = {"backend": "sqlite", "path": str(tmp_path / "host.db")}

    def make() -> AssistantAgent:
        return assistant(ScriptedChatClient([echo], repeat_last=True))

    async with serving(make, store=store) as kit:
        first = await bounded(kit.run("alpha", "s1"))
    async with serving(make, store=store) as kit:  # a new host process, the same file
        second = await bounded(kit.run("beta", "s1"))
        other = await bounded(kit.run("gamma", "s2"))
    assert first.text == "alpha"
    assert second.text == "alpha | beta"
    assert other.text == "gamma"


async def test_images_reach_the_model_as_a_multimodal_message() -> None:
    client = ScriptedChatClient(["Nice picture."])
    async with serving(assistant(client)) as kit:
        message = Message(parts=[TextPart(text="what is this?"),
                                 FilePart(name="p.png", mime_type="image/png", bytes=png())])
        run = await kit.host.runs.start(RunInput(agent="agent", messages=[message]))
        result = await bounded(kit.collect(run))
        info = kit.host.agents["agent"].adapter.describe()
    assert result.text == "Nice picture."
    [sent] = [m for m in client.log.seen[-1] if isinstance(m, UserMessage)]
    assert isinstance(sent.content, list)
    assert sent.content[0] == "what is this?" and isinstance(sent.content[1], Image)
    assert "image/png" in info.input_modes


def test_files_other_than_images_become_text() -> None:
    notes = FilePart(name="notes.txt", mime_type="text/plain", bytes=b"remember milk")
    report = FilePart(name="r.pdf", mime_type="application/pdf", uri="https://example.org/r.pdf")
    message = chat_message(Message(parts=[TextPart(text="read these"), notes, report]))
    assert message.to_text() == (
        "read these\nremember milk\n[r.pdf (application/pdf): https://example.org/r.pdf]"
    )


# --------------------------------------------------------------------------- cancel


async def test_cancel_mid_tool_stops_it_and_the_next_run_sees_an_error_result() -> None:
    state: dict[str, Any] = {"started": asyncio.Event()}

    async def slow(seconds: int) -> str:
        """Wait."""
        state["started"].set()
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            state["tool"] = "cancelled"
            raise
        state["tool"] = "finished"
        return "late"

    client = ScriptedChatClient([Answer(calls=[("c1", "slow", {"seconds": 60})]), "recovered"])
    async with serving(assistant(client, tools=[slow])) as kit:
        run = await kit.start("wait", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await bounded(state["started"].wait())
        await kit.host.runs.cancel(run.run_id)
        cancelled = await bounded(reader)
        assert run.task is not None and run.task.done()  # within the grace period
        after = await bounded(kit.run("still there?", "s1"))
    assert cancelled.terminal.type == "run.cancelled" and state["tool"] == "cancelled"
    assert after.text == "recovered"
    [repair] = [m for m in client.log.seen[-1] if isinstance(m, FunctionExecutionResultMessage)]
    assert [(r.call_id, r.is_error, r.content) for r in repair.content] == [
        ("c1", True, CANCELLED)
    ]


async def test_cancel_mid_stream_ends_the_model_stream_at_once() -> None:
    client = ScriptedChatClient(["This answer is never finished.", "next"])
    client.hold = asyncio.Event()  # never set: the model stalls after its first chunk
    async with serving(assistant(client)) as kit:
        run = await kit.start("talk", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await bounded(client.streaming.wait())
        await kit.host.runs.cancel(run.run_id)
        result = await bounded(reader)
        assert client.log.streams_closed == 1 and client.log.streams_finished == 0
        client.hold = None
        after = await bounded(kit.run("again", "s1"))
    assert result.terminal.type == "run.cancelled"
    assert after.text == "next"


# --------------------------------------------------------------------------- humans


async def test_a_handoff_to_the_user_asks_and_the_next_message_answers() -> None:
    client = ScriptedChatClient([
        Answer("Which city?", calls=[("h1", "transfer_to_user", {})]),
        echo,
    ])
    async with serving(assistant(client, handoffs=["user"])) as kit:
        first = await bounded(kit.run("book a flight", "s1"))
        second = await bounded(kit.run("Paris", "s1"))
        record = await kit.host.runs.record(first.run.run_id)
    [asked] = first.of("run.input_required")
    assert asked.prompt == "Which city?"
    assert asked.payload["handoff"]["from"] == "assistant"
    assert record.status == "input_required"
    assert second.terminal.type == "run.completed"
    assert second.text == "book a flight | Paris"


async def test_a_swarm_handing_off_to_the_user_resumes_with_a_handoff_message() -> None:
    client = ScriptedChatClient([
        Answer("Which city?", calls=[("h1", "transfer_to_user", {})]),
        lambda messages: Answer(f"Booked {messages[-1].content}. TERMINATE"),
    ])
    swarm = Swarm(
        [assistant(client, handoffs=["user"])],
        termination_condition=HandoffTermination(target="user")
        | TextMentionTermination("TERMINATE"),
    )
    async with serving(swarm) as kit:
        first = await bounded(kit.run("book a flight", "s1"))
        second = await bounded(kit.run("Paris", "s1"))
    [asked] = first.of("run.input_required")
    assert asked.prompt == "Which city?"
    assert asked.payload["stop_reason"] == "Handoff to user from assistant detected."
    assert second.text == "Booked Paris. TERMINATE"
    assert second.terminal.output[-1].parts[0].data == {
        "stop_reason": "Text 'TERMINATE' mentioned"
    }


async def test_a_user_proxy_asks_and_the_next_message_is_its_input() -> None:
    """The proxy's own input_func would read the console in a worker thread forever."""
    helper = assistant(ScriptedChatClient(["What is your name?", echo]))
    team = RoundRobinGroupChat([helper, UserProxyAgent("you")],
                               termination_condition=MaxMessageTermination(4))
    async with serving(team) as kit:
        first = await bounded(kit.run("greet me", "s1"))
        second = await bounded(kit.run("Ada", "s1"))
    [asked] = first.of("run.input_required")
    assert asked.prompt == "What is your name?" and asked.payload["agent"] == "you"
    assert second.terminal.type == "run.completed", second.describe()
    assert second.text == "greet me | Ada"


# --------------------------------------------------------------------------- detection


async def test_factories_are_detected_by_their_return_annotation() -> None:
    def make() -> AssistantAgent:
        return assistant(ScriptedChatClient(["made"]))

    async def amake() -> RoundRobinGroupChat:
        return RoundRobinGroupChat([make()], termination_condition=MaxMessageTermination(2))

    def plain(text: str) -> str:
        return text

    host = Host(parse_config({"frontends": {}}, "<test>"))
    assert host.detect_adapter(make) == "autogen"
    assert host.detect_adapter(amake) == "autogen"
    assert host.detect_adapter(plain) == "python"
    async with serving(amake) as kit:
        result = await bounded(kit.run("hi"))
    assert result.text == "made"
