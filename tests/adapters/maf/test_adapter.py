"""MAF-specific behaviour of the adapter, through the host's run API (no HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from agent_framework import Agent, Content, Message, Workflow

from agenthost import DataPart, FilePart, Host, RunInput, TextPart
from agenthost import Message as HostMessage
from agenthost.config import parse_config
from agenthost.testing import Script, ScriptedCall, Turn
from agenthost.testing.adapter_suite import KitHost, RunResult
from agenthost.testing.script import lookup_tool
from agenthost_maf import ScriptedChatClient
from agenthost_maf.testing import user_texts

from .agents import approval_agent, chat_agent, writer_reviewer


@asynccontextmanager
async def serving(
    agent: Any, options: dict[str, Any] | None = None, **config: Any
) -> AsyncIterator[KitHost]:
    host = Host(parse_config({"frontends": {}, **config}, "<test>"))
    host.add_agent("agent", agent, options=options)
    await host.startup()
    try:
        yield KitHost(host, "agent")
    finally:
        await host.shutdown()


async def run_message(kit: KitHost, message: HostMessage, session: str) -> RunResult:
    run = await kit.host.runs.start(RunInput(agent="agent", messages=[message], session_id=session))
    return await kit.collect(run)


def echo_agent() -> Agent:
    return Agent(client=ScriptedChatClient([lambda m: " | ".join(user_texts(m))], repeat_last=True))


async def test_approval_asks_then_the_next_message_approves() -> None:
    async with serving(approval_agent()) as kit:
        first = await kit.run("delete my notes", "s1")
        [asked] = first.of("run.input_required")
        assert asked.payload == {
            "type": "approval",
            "calls": [
                {"call_id": "call_del", "name": "delete_file", "arguments": {"path": "notes.txt"}}
            ],
        }
        assert "delete_file" in asked.prompt
        assert [c.call_id for c in first.of("tool.call")] == ["call_del"]
        assert not first.of("tool.result")  # not run before the answer
        assert (await kit.host.runs.record(first.run.run_id)).status == "input_required"
        second = await kit.run("yes", "s1")
    [result] = second.of("tool.result")
    assert result.call_id == "call_del" and result.output == "deleted notes.txt"
    assert not result.is_error
    assert second.text == "Done: deleted notes.txt"
    assert not second.of("run.input_required")
    # A single agent's updates carry its name ("janitor"), but it is the agent itself.
    assert [e.message.name for e in second.of("message.completed")] == [None]


async def test_a_denial_is_an_error_result_and_the_run_goes_on() -> None:
    async with serving(approval_agent()) as kit:
        await kit.run("delete my notes", "s1")
        answer = HostMessage(role="user", parts=[DataPart(data={"approved": False})])
        second = await run_message(kit, answer, "s1")
    [result] = second.of("tool.result")
    assert result.is_error and "rejected" in result.output
    assert second.text.startswith("Done: Error")


async def test_sessions_survive_a_restart_on_a_sqlite_store(tmp_path: Path) -> None:
    store = {"backend": "sqlite", "path": str(tmp_path / "host.db")}
    async with serving(echo_agent(), store=store) as kit:
        assert (await kit.run("alpha", "s1")).text == "alpha"
    # a new host and a new agent object: all the memory is in the file
    async with serving(echo_agent(), store=store) as kit:
        assert (await kit.run("beta", "s1")).text == "alpha | beta"
        assert (await kit.run("gamma", "s2")).text == "gamma"


async def test_a_cancelled_turn_stays_in_the_history() -> None:
    gate = asyncio.Event()
    started = asyncio.Event()

    async def wait(seconds: int) -> str:
        """Wait."""
        started.set()
        await gate.wait()
        return "waited"

    call = Content.from_function_call("c1", "wait", arguments={"seconds": 5})
    client = ScriptedChatClient(
        [Message(role="assistant", contents=[call]), lambda m: " | ".join(user_texts(m))]
    )
    async with serving(Agent(client=client, tools=[wait])) as kit:
        run = await kit.start("first question", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await started.wait()
        await kit.host.runs.cancel(run.run_id)
        assert (await reader).terminal.type == "run.cancelled"
        after = await kit.run("second question", "s1")
    assert after.text == "first question | second question"
    # the history the model got is one every API accepts: no call left without its result
    sent = client.seen[-1]
    assert not [c for m in sent for c in m.contents if c.type == "function_call"]


async def test_usage_is_the_true_run_total() -> None:
    """MAF reports the second model call's usage as a running total: it is not added twice."""
    calls: list[str] = []
    script = Script(
        turns=[
            Turn(tool_calls=(ScriptedCall("c1", "lookup", {"city": "Oslo"}),)),
            Turn(text="Sunny."),
        ],
        tools=[lookup_tool("tok", calls)],
    )
    client_usage = {"input_token_count": 3, "output_token_count": 5, "total_token_count": 8}
    agent = chat_agent(script)
    agent.client.usage = client_usage  # type: ignore[attr-defined]
    async with serving(agent) as kit:
        result = await kit.run("weather?", "s1")
    assert result.terminal.usage is not None
    # two model calls of 3/5/8 each
    usage = result.terminal.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (6, 10, 16)


async def test_call_fragments_become_one_call_with_whole_arguments() -> None:
    calls: list[str] = []
    script = Script(
        turns=[Turn(tool_calls=(ScriptedCall("c1", "lookup", {"city": "Lima"}),)), Turn(text="ok")],
        tools=[lookup_tool("tok", calls)],
    )
    async with serving(chat_agent(script)) as kit:
        result = await kit.run("weather?", "s1")
    [call] = result.of("tool.call")
    assert (call.call_id, call.name, call.arguments) == ("c1", "lookup", {"city": "Lima"})
    assert calls == ["Lima"]


async def test_reasoning_streams_as_reasoning_deltas() -> None:
    answer = Message(
        role="assistant",
        contents=[
            Content.from_text_reasoning(text="The user greets me."),
            Content.from_text("Hello!"),
        ],
    )
    async with serving(Agent(client=ScriptedChatClient([answer]))) as kit:
        result = await kit.run("hi", "s1")
    assert "".join(e.text for e in result.of("reasoning.delta")) == "The user greets me."
    assert result.delta_text == "Hello!" and result.text == "Hello!"


async def test_a_workflow_streams_each_member_as_its_own_message() -> None:
    async with serving(writer_reviewer()) as kit:
        result = await kit.run("write a poem", "s1")
        info = kit.host.agents["agent"].adapter.describe()
    completed = [e.message.text_content for e in result.of("message.completed")]
    assert completed == ["Draft: a short poem.", "Reviewed: write a poem"]
    assert result.text == "Draft: a short poem.Reviewed: write a poem"
    assert [e.message.name for e in result.of("message.completed")] == ["writer", "reviewer"]
    assert [(s.name, s.description) for s in info.skills] == [
        ("writer", "Writes drafts"),
        ("reviewer", "Reviews drafts"),
    ]


async def test_a_workflow_factory_gives_each_session_its_own_conversation(tmp_path: Path) -> None:
    def build() -> Workflow:
        return writer_reviewer()

    store = {"backend": "sqlite", "path": str(tmp_path / "host.db")}
    async with serving(build, store=store) as kit:
        await kit.run("alpha", "s1")
        assert (await kit.run("gamma", "s2")).text.endswith("Reviewed: gamma")
    async with serving(build, store=store) as kit:  # after a restart
        assert (await kit.run("beta", "s1")).text.endswith("Reviewed: alpha | beta")


async def test_images_and_files_reach_the_model_as_contents() -> None:
    client = ScriptedChatClient(["seen"])
    png = b"\x89PNG\r\n\x1a\nfake"
    message = HostMessage(
        role="user",
        parts=[
            TextPart(text="what is this?"),
            FilePart(name="pic.png", mime_type="image/png", bytes=png),
            FilePart(name="doc.pdf", mime_type="application/pdf", uri="https://example.com/d.pdf"),
        ],
    )
    async with serving(Agent(client=client)) as kit:
        result = await run_message(kit, message, "s1")
    assert result.text == "seen"
    contents = client.seen[-1][-1].contents
    assert [c.type for c in contents] == ["text", "data", "uri"]
    assert contents[1].media_type == "image/png" and contents[1].uri is not None
    assert contents[1].uri.startswith("data:image/png;base64,")
    assert contents[2].uri == "https://example.com/d.pdf"


async def test_instructions_reach_the_model() -> None:
    client = ScriptedChatClient(["ok"])
    async with serving(Agent(client=client)) as kit:
        run_input = RunInput(
            agent="agent",
            messages=[HostMessage.text("hi")],
            session_id="s1",
            instructions="Be brief.",
        )
        result = await kit.collect(await kit.host.runs.start(run_input))
    assert result.terminal.type == "run.completed", result.describe()
    assert client.seen_options[-1]["instructions"] == "Be brief."


async def test_a_model_error_fails_the_run_with_its_type() -> None:
    async with serving(Agent(client=ScriptedChatClient([ValueError("quota gone")]))) as kit:
        result = await kit.run("hi", "s1")
    assert result.terminal.type == "run.failed"
    assert result.terminal.code == "ValueError" and "quota gone" in result.terminal.message


def test_detection_needs_agent_framework_and_takes_annotated_factories() -> None:
    host = Host(parse_config({"frontends": {}}, "<test>"))
    component = host.plugins.get("adapter", "maf")
    assert component.details.get("detect_modules") == ("agent_framework",)

    def factory() -> Agent:
        return echo_agent()

    def plain() -> str:
        return "hi"

    assert host.detect_adapter(echo_agent()) == "maf"
    assert host.detect_adapter(writer_reviewer()) == "maf"
    assert host.detect_adapter(writer_reviewer().as_agent(name="w")) == "maf"
    assert host.detect_adapter(factory) == "maf"
    assert host.detect_adapter(plain) == "python"


class GatedChatClient(ScriptedChatClient):
    """Streams one word, then waits on a gate the test never opens: a model stream that is
    still running when the cancel comes (a real ``BaseChatClient`` subclass, as users write)."""

    def __init__(self) -> None:
        super().__init__(["unused"])
        self.streaming = asyncio.Event()
        self.stopped = False

    def _inner_get_response(self, *, messages: Any, stream: bool, options: Any, **kw: Any) -> Any:
        from agent_framework import ChatResponseUpdate

        async def updates() -> AsyncIterator[ChatResponseUpdate]:
            yield ChatResponseUpdate(role="assistant", contents=[Content.from_text("Thinking ")])
            self.streaming.set()
            try:
                await asyncio.Event().wait()
            finally:
                self.stopped = True  # the stream was closed, not left running
            yield ChatResponseUpdate(role="assistant", contents=[Content.from_text("never")])

        return self._build_response_stream(updates())


async def test_cancel_stops_the_model_stream() -> None:
    client = GatedChatClient()
    async with serving(Agent(client=client)) as kit:
        run = await kit.start("hello", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await client.streaming.wait()
        await kit.host.runs.cancel(run.run_id)
        result = await reader
        assert run.task is not None and run.task.done()
    assert result.terminal.type == "run.cancelled"
    assert client.stopped


async def test_a_shared_workflow_serves_concurrent_sessions_in_turn() -> None:
    async with serving(writer_reviewer()) as kit:
        runs = [await kit.start("one", "s1"), await kit.start("two", "s2")]
        results = await asyncio.gather(*(kit.collect(r) for r in runs))
    assert [r.terminal.type for r in results] == ["run.completed", "run.completed"]
    # one conversation on the instance: the second run saw the first's message too
    assert results[1].text.endswith("Reviewed: one | two")


async def test_a_shared_workflow_rolls_back_a_cancelled_run() -> None:
    """After a cancel the instance goes back to the last completed run's checkpoint."""
    gate, started = asyncio.Event(), asyncio.Event()

    async def wait(seconds: int) -> str:
        """Wait."""
        started.set()
        await gate.wait()
        return "waited"

    def turn(messages: list[Message]) -> Message:
        texts = user_texts(messages)
        if texts[-1] == "block":
            call = Content.from_function_call("c1", "wait", arguments={"seconds": 5})
            return Message(role="assistant", contents=[call])
        return Message(role="assistant", contents=[Content.from_text(" | ".join(texts))])

    agent = Agent(client=ScriptedChatClient([turn], repeat_last=True), tools=[wait], name="solo")
    from agent_framework import WorkflowBuilder

    async with serving(WorkflowBuilder(start_executor=agent).build()) as kit:
        assert (await kit.run("alpha", "s1")).text == "alpha"
        run = await kit.start("block", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await started.wait()
        await kit.host.runs.cancel(run.run_id)
        assert (await reader).terminal.type == "run.cancelled"
        after = await kit.run("beta", "s1")
    assert after.terminal.type == "run.completed", after.describe()
    assert after.text == "alpha | beta"


async def test_files_the_agent_returns_are_artifacts() -> None:
    png = b"\x89PNG\r\n\x1a\nplot"
    answer = Message(
        role="assistant",
        contents=[
            Content.from_text("Here:"),
            Content.from_data(png, "image/png"),
            Content.from_uri("https://example.com/r.pdf", media_type="application/pdf"),
        ],
    )
    async with serving(Agent(client=ScriptedChatClient([answer]))) as kit:
        result = await kit.run("plot it", "s1")
    parts = [e.part for e in result.of("artifact")]
    assert [(p.mime_type, p.bytes, p.uri) for p in parts] == [
        ("image/png", png, None),
        ("application/pdf", None, "https://example.com/r.pdf"),
    ]


async def test_an_agents_own_history_provider_is_used_with_the_session_key() -> None:
    from agent_framework import HistoryProvider

    class DictHistory(HistoryProvider):
        """History in a dict the test can read (a provider a user might back by a database)."""

        def __init__(self) -> None:
            super().__init__("dict_history")
            self.by_session: dict[str, list[Message]] = {}

        async def get_messages(self, session_id: Any, *, state: Any = None, **kw: Any) -> Any:
            return list(self.by_session.get(session_id, []))

        async def save_messages(
            self, session_id: Any, messages: Any, *, state: Any = None, **kw: Any
        ) -> None:
            self.by_session.setdefault(session_id, []).extend(messages)

    history = DictHistory()
    agent = Agent(
        client=ScriptedChatClient([lambda m: " | ".join(user_texts(m))], repeat_last=True),
        context_providers=[history],
    )
    async with serving(agent) as kit:
        await kit.run("alpha", "s1")
        second = await kit.run("beta", "s1")
        sessions = list(history.by_session)
    assert second.text == "alpha | beta"
    assert len(sessions) == 1  # keyed on the run's session key
    assert [m.text for m in history.by_session[sessions[0]] if m.role == "user"] == [
        "alpha",
        "beta",
    ]
