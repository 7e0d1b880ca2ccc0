"""AgentScope-specific behaviour of the adapter, through the host's run API (no HTTP)."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from agentscope.agent import Agent, ContextConfig
from agentscope.message import Base64Source, DataBlock, Msg, TextBlock, URLSource
from agentscope.tool import Toolkit

from agenthost import ConfigError, DataPart, FilePart, Host, Message, RunInput, TextPart
from agenthost.config import parse_config
from agenthost.testing import Script, Turn
from agenthost.testing.adapter_suite import KitHost, RunResult
from agenthost.testing.script import ScriptedCall, SlowToolState, lookup_tool, slow_tool
from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, function_tool

from .agents import agent, last_user_text


@asynccontextmanager
async def serving(
    target: Any, options: dict[str, Any] | None = None, **config: Any
) -> AsyncIterator[KitHost]:
    host = Host(parse_config({"frontends": {}, **config}, "<test>"))
    host.add_agent("agent", target, options=options)
    await host.startup()
    try:
        yield KitHost(host, "agent")
    finally:
        await host.shutdown()


async def run_message(kit: KitHost, message: Message, session: str, **kw: Any) -> RunResult:
    run_input = RunInput(agent="agent", messages=[message], session_id=session, **kw)
    return await kit.collect(await kit.host.runs.start(run_input))


def asking_agent(calls: list[str], model: ScriptedChatModel | None = None) -> Agent:
    """``lookup`` needs the user's approval (a FunctionTool without ALLOW)."""
    model = model or ScriptedChatModel(
        [ScriptedAnswer(tool_calls=[("c9", "lookup", {"city": "Oslo"})]), "Done."],
        repeat_last=True,
    )
    tool = function_tool(lookup_tool("tok", calls), ask=True)
    return Agent(name="assistant", system_prompt="You help.", model=model, toolkit=Toolkit([tool]))


# --------------------------------------------------------------------------- human in the loop


async def test_a_tool_needing_approval_asks_and_approve_resumes() -> None:
    calls: list[str] = []
    async with serving(asking_agent(calls)) as kit:
        first = await kit.run("weather in Oslo?", "s1")
        [asked] = first.of("run.input_required")
        assert asked.payload == {
            "kind": "approval",
            "agent": "assistant",
            "tool_calls": [{"call_id": "c9", "name": "lookup", "arguments": {"city": "Oslo"}}],
        }
        assert "lookup" in asked.prompt
        assert first.terminal.type == "run.completed" and calls == []
        assert (await kit.host.runs.record(first.run.run_id)).status == "input_required"
        assert [c.call_id for c in first.of("tool.call")] == ["c9"]
        assert not first.of("tool.result")
        second = await kit.run("approve", "s1")
    assert second.terminal.type == "run.completed", second.describe()
    assert calls == ["Oslo"]
    [result] = second.of("tool.result")
    assert result.call_id == "c9" and not result.is_error and "Oslo" in result.output
    assert second.text == "Done."


async def test_deny_reports_the_call_as_an_error_and_the_reply_goes_on() -> None:
    calls: list[str] = []
    async with serving(asking_agent(calls)) as kit:
        await kit.run("weather in Oslo?", "s1")
        answer = Message(role="user", parts=[DataPart(data={"approved": False})])
        second = await run_message(kit, answer, "s1")
    assert calls == []
    [result] = second.of("tool.result")
    assert result.call_id == "c9" and result.is_error
    assert second.terminal.type == "run.completed" and second.text == "Done."


async def test_a_plain_message_while_paused_is_a_clear_error_and_the_pause_survives() -> None:
    calls: list[str] = []
    async with serving(asking_agent(calls)) as kit:
        await kit.run("weather in Oslo?", "s1")
        wrong = await kit.run("what is the capital of France?", "s1")
        assert wrong.terminal.type == "run.failed"
        assert wrong.terminal.code == "AwaitingApproval"
        assert 'lookup({"city": "Oslo"})' in wrong.terminal.message
        assert "approve" in wrong.terminal.message
        after = await kit.run("yes", "s1")
    assert after.terminal.type == "run.completed" and calls == ["Oslo"]


async def test_sessions_park_and_resume_independently() -> None:
    calls: list[str] = []
    model = ScriptedChatModel(
        [ScriptedAnswer(tool_calls=[("c9", "lookup", {"city": "Oslo"})])] * 2 + ["Done."] * 2
    )
    async with serving(asking_agent(calls, model)) as kit:
        await kit.run("weather?", "a")
        await kit.run("weather?", "b")
        denied = await kit.run("deny", "b")
        approved = await kit.run("approve", "a")
    assert [r.is_error for r in denied.of("tool.result")] == [True]
    assert [r.is_error for r in approved.of("tool.result")] == [False]
    assert calls == ["Oslo"]


async def test_a_paused_reply_resumes_after_a_restart_on_sqlite(tmp_path: Path) -> None:
    store = {"backend": "sqlite", "path": str(tmp_path / "host.db")}
    calls: list[str] = []
    async with serving(asking_agent(calls), store=store) as kit:
        first = await kit.run("weather in Oslo?", "s1")
        assert first.of("run.input_required")
    # a new host and a new agent object: the parked reply is in the store
    model = ScriptedChatModel(["Oslo is sunny."])
    async with serving(asking_agent(calls, model), store=store) as kit:
        second = await kit.run("approve", "s1")
    assert second.terminal.type == "run.completed", second.describe()
    assert calls == ["Oslo"] and second.text == "Oslo is sunny."


async def test_permission_mode_bypass_runs_the_tool_without_asking() -> None:
    calls: list[str] = []
    async with serving(asking_agent(calls), {"permission_mode": "bypass"}) as kit:
        result = await kit.run("weather in Oslo?", "s1")
    assert not result.of("run.input_required") and calls == ["Oslo"]


# --------------------------------------------------------------------------- sessions and cancel


async def test_conversations_survive_a_restart_on_sqlite(tmp_path: Path) -> None:
    store = {"backend": "sqlite", "path": str(tmp_path / "host.db")}
    async with serving(agent(Script(turns=[Turn(echo=True)])), store=store) as kit:
        assert (await kit.run("alpha", "s1")).text == "alpha"
    again = Script(turns=[Turn(echo=True), Turn(echo=True)])
    async with serving(agent(again), store=store) as kit:
        assert (await kit.run("beta", "s1")).text == "alpha | beta"
        assert (await kit.run("gamma", "s2")).text == "gamma"


async def test_memory_none_starts_every_run_afresh() -> None:
    script = Script(turns=[Turn(echo=True), Turn(echo=True)])
    async with serving(agent(script), {"memory": "none"}) as kit:
        await kit.run("alpha", "s1")
        assert (await kit.run("beta", "s1")).text == "beta"


async def test_after_a_cancel_the_history_is_kept_and_valid() -> None:
    state = SlowToolState()
    model = ScriptedChatModel(
        [
            ScriptedAnswer("Waiting.", tool_calls=[("c1", "slow", {"seconds": 30})]),
            lambda messages: " | ".join(
                t for t in (m.get_text_content() for m in messages[1:]) if t
            ),
        ]
    )
    target = Agent(
        name="assistant",
        system_prompt="s",
        model=model,
        toolkit=Toolkit([function_tool(slow_tool(state))]),
    )
    async with serving(target) as kit:
        run = await kit.start("wait", "s1")
        reader = asyncio.create_task(kit.collect(run))
        await state.started.wait()
        await kit.host.runs.cancel(run.run_id)
        cancelled = await reader
        after = await kit.run("still there?", "s1")
    assert cancelled.terminal.type == "run.cancelled" and state.cancelled and not state.finished
    [result] = cancelled.of("tool.result")
    assert result.call_id == "c1" and result.is_error  # AgentScope's "interrupted" result
    # the next model call sees the first question, the interrupted call and the new one
    seen = [m for m in model.seen[-1] if m.role != "system"]
    assert [m.role for m in seen][:1] == ["user"] and seen[-1].get_text_content() == "still there?"
    assert any(b.type == "tool_result" for m in seen for b in m.content)
    assert after.terminal.type == "run.completed"


# --------------------------------------------------------------------------- input and output


async def test_thinking_streams_as_reasoning_deltas() -> None:
    model = ScriptedChatModel([ScriptedAnswer("Hello!", thinking="The user greets me.")])
    target = Agent(name="a", system_prompt="s", model=model)
    async with serving(target) as kit:
        result = await kit.run("hi", "s1")
    assert "".join(e.text for e in result.of("reasoning.delta")) == "The user greets me."
    assert result.delta_text == "Hello!" and result.text == "Hello!"
    [reasoning, *_] = result.of("reasoning.delta")
    assert reasoning.message_id == result.of("message.delta")[0].message_id


async def test_usage_is_summed_over_the_model_calls_of_a_run() -> None:
    calls: list[str] = []
    model = ScriptedChatModel(
        [
            ScriptedAnswer(
                "Looking.", tool_calls=[("c1", "lookup", {"city": "Rome"})], usage=(3, 5)
            ),
            ScriptedAnswer("Sunny.", usage=(11, 7)),
        ]
    )
    tool = function_tool(lookup_tool("tok", calls))
    target = Agent(name="a", system_prompt="s", model=model, toolkit=Toolkit([tool]))
    async with serving(target) as kit:
        result = await kit.run("weather?", "s1")
    usage = result.terminal.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (14, 12, 26)
    # every model call's answer is its own message; the output is the whole answer
    assert [m.text_content for m in result.terminal.output] == ["Looking.", "Sunny."]


async def test_images_and_files_reach_the_model_as_blocks() -> None:
    model = ScriptedChatModel(["seen"])
    png = b"\x89PNG\r\n\x1a\nfake"
    message = Message(
        role="user",
        parts=[
            TextPart(text="what is this?"),
            FilePart(name="pic.png", mime_type="image/png", bytes=png),
            FilePart(mime_type="image/jpeg", uri="https://example.com/cat.jpg"),
            FilePart(name="d.pdf", mime_type="application/pdf", uri="https://example.com/d.pdf"),
            FilePart(name="notes.txt", mime_type="text/plain", bytes=b"remember this"),
        ],
    )
    async with serving(Agent(name="a", system_prompt="s", model=model)) as kit:
        result = await run_message(kit, message, "s1")
    assert result.text == "seen"
    [asked] = [m for m in model.seen[-1] if "what is this?" in (m.get_text_content() or "")]
    blocks = [b for b in asked.content if b.type != "hint"]  # AgentScope adds runtime hints
    assert isinstance(blocks[0], TextBlock) and blocks[0].text == "what is this?"
    assert isinstance(blocks[1], DataBlock) and isinstance(blocks[1].source, Base64Source)
    assert base64.b64decode(blocks[1].source.data) == png and blocks[1].name == "pic.png"
    assert isinstance(blocks[2], DataBlock) and isinstance(blocks[2].source, URLSource)
    assert str(blocks[2].source.url) == "https://example.com/cat.jpg"
    # a PDF by URL would be downloaded by the OpenAI formatter on the event loop: a note instead
    assert isinstance(blocks[3], TextBlock) and "https://example.com/d.pdf" in blocks[3].text
    assert isinstance(blocks[4], TextBlock) and "remember this" in blocks[4].text


async def test_instructions_and_system_messages_join_the_system_prompt() -> None:
    model = ScriptedChatModel(["one", "two"])
    async with serving(Agent(name="a", system_prompt="You help.", model=model)) as kit:
        await run_message(kit, Message.text("hi"), "s1", instructions="Be brief.")
        system = Message.text("Answer in French.", role="system")
        run_input = RunInput(
            agent="agent", messages=[system, Message.text("again")], session_id="s1"
        )
        await kit.collect(await kit.host.runs.start(run_input))
    first_prompt, second_prompt = (calls[0] for calls in model.seen)
    assert (
        first_prompt.role == "system"
        and first_prompt.get_text_content() == "You help.\n\nBe brief."
    )
    assert second_prompt.get_text_content() == "You help.\n\nAnswer in French."
    assert [last_user_text(model.seen[-1])] == ["again"]


async def test_a_model_error_fails_the_run_and_keeps_the_session() -> None:
    model = ScriptedChatModel(
        [RuntimeError("model down"), lambda m: " | ".join(x for x in [last_user_text(m)])]
    )
    async with serving(Agent(name="a", system_prompt="s", model=model)) as kit:
        failed = await kit.run("first", "s1")
        after = await kit.run("second", "s1")
    assert failed.terminal.type == "run.failed"
    assert (failed.terminal.code, failed.terminal.message) == ("RuntimeError", "model down")
    assert after.text == "second"


def test_sync_tools_run_off_the_event_loop() -> None:
    threads: list[str] = []

    def where(city: str) -> str:
        """Say where the tool ran.

        Args:
            city (str): a city
        """
        threads.append(threading.current_thread().name)
        return f"ran for {city}"

    tool = function_tool(where)
    assert tool.name == "where" and tool.input_schema["properties"]["city"]["type"] == "string"
    model = ScriptedChatModel(
        [ScriptedAnswer(tool_calls=[("c1", "where", {"city": "Bern"})]), "ok"]
    )

    async def go() -> RunResult:
        async with serving(
            Agent(name="a", system_prompt="s", model=model, toolkit=Toolkit([tool]))
        ) as kit:
            return await kit.run("go", "s1")

    result = asyncio.run(go())
    assert [r.output for r in result.of("tool.result")] == ["ran for Bern"]
    assert threads and threads[0] != threading.main_thread().name


# --------------------------------------------------------------------------- loading


def test_a_bare_function_in_a_toolkit_is_refused_at_load() -> None:
    def lookup(city: str) -> str:
        return city

    toolkit = Toolkit([lookup])  # type: ignore[list-item]
    bad = Agent(name="a", system_prompt="s", model=ScriptedChatModel(["x"]), toolkit=toolkit)
    host = Host(parse_config({"frontends": {}}, "<test>"))
    with pytest.raises(ValueError, match="function_tool"):
        host.add_agent("agent", bad)


def test_a_shared_agent_with_the_compression_tool_is_refused() -> None:
    config = ContextConfig(compression_tool_enabled=True)
    target = Agent(
        name="a", system_prompt="s", model=ScriptedChatModel(["x"]), context_config=config
    )
    host = Host(parse_config({"frontends": {}}, "<test>"))
    with pytest.raises(ValueError, match="serve a factory"):
        host.add_agent("agent", target)


def test_unknown_option_is_a_config_error_naming_the_key() -> None:
    host = Host(parse_config({"frontends": {}}, "<test>"))
    target = Agent(name="a", system_prompt="s", model=ScriptedChatModel(["x"]))
    with pytest.raises(ConfigError) as info:
        host.add_agent("agent", target, options={"memory": "disk"})
    assert "agents.agent.options.memory" in str(info.value)


def test_describe_uses_the_system_prompt_and_detection_needs_agentscope_loaded() -> None:
    host = Host(parse_config({"frontends": {}}, "<test>"))
    component = host.plugins.get("adapter", "agentscope")
    assert component.details.get("detect_modules") == ("agentscope",)
    target = Agent(
        name="a",
        system_prompt="Answers weather questions.\n\nMore.",
        model=ScriptedChatModel(["x"]),
    )
    entry = host.add_agent("weather", target)
    info = entry.adapter.describe()
    assert (info.framework, info.description) == ("agentscope", "Answers weather questions.")
    assert "image/*" in info.input_modes

    def not_annotated() -> Any:
        return target

    assert host.detect_adapter(not_annotated) == "python"


def test_detection_does_not_import_agentscope() -> None:
    """A host serving a plain function never imports AgentScope (a 2 s import)."""
    code = (
        "import sys\n"
        "from agenthost import Host\n"
        "from agenthost.config import parse_config\n"
        "host = Host(parse_config({'frontends': {}}, '<t>'))\n"
        "async def echo(text: str) -> str:\n"
        "    return text\n"
        "assert host.detect_adapter(echo) == 'python'\n"
        "print('agentscope' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


async def test_an_async_factory_is_called_for_every_run() -> None:
    built: list[Agent] = []

    async def factory() -> Agent:
        made = agent(Script(turns=[Turn(echo=True)]))
        built.append(made)
        return made

    async with serving(factory) as kit:
        assert kit.host.agents["agent"].adapter.name == "agentscope"
        assert (await kit.run("alpha", "s1")).text == "alpha"
        assert (await kit.run("beta", "s1")).text == "alpha | beta"
    assert len(built) == 2


async def test_a_factory_returning_something_else_fails_the_run_clearly() -> None:
    def factory() -> Agent:
        return "not an agent"  # type: ignore[return-value]

    async with serving(factory) as kit:
        result = await kit.run("hi", "s1")
    assert result.terminal.type == "run.failed"
    assert "factory returned str" in result.terminal.message


def test_scripted_call_shape() -> None:
    # the kit's ScriptedCall maps onto the scripted model's (id, name, arguments)
    call = ScriptedCall("c1", "lookup", {"city": "Paris"})
    answer = ScriptedAnswer(tool_calls=[(call.id, call.name, call.arguments)])
    assert answer.tool_calls[0] == ("c1", "lookup", {"city": "Paris"})


def test_user_texts_reads_msgs() -> None:
    from agenthost_agentscope.testing import user_texts

    msgs = [
        Msg(name="u", role="user", content=[TextBlock(text="a")]),
        Msg(name="x", role="assistant", content=[TextBlock(text="b")]),
    ]
    assert user_texts(msgs) == ["a"]
