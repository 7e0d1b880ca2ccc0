"""LangGraph-specific behaviour of the adapter, through the host's run API (no HTTP)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph

from agenthost import ConfigError, DataPart, FilePart, Host, Message, RunInput, TextPart
from agenthost.config import parse_config
from agenthost.testing import Script, Turn
from agenthost.testing.adapter_suite import KitHost, RunResult
from agenthost_langgraph import ScriptedChatModel
from agenthost_langgraph.testing import user_texts

from .agents import approval_graph, langchain_agent


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


async def run_message(kit: KitHost, message: Message, session: str) -> RunResult:
    run = await kit.host.runs.start(RunInput(agent="agent", messages=[message], session_id=session))
    return await kit.collect(run)


async def test_interrupt_asks_for_input_and_the_next_message_resumes() -> None:
    async with serving(approval_graph()) as kit:  # an uncompiled StateGraph: compiled on load
        first = await kit.run("send 10 to Bob", "s1")
        asked = first.of("run.input_required")
        assert len(asked) == 1, first.describe()
        assert asked[0].payload == {"question": "Approve the transfer?", "amount": 10}
        assert asked[0].prompt == "Approve the transfer?"
        assert first.terminal.type == "run.completed"
        assert (await kit.host.runs.record(first.run.run_id)).status == "input_required"
        second = await kit.run("yes", "s1")
        assert second.terminal.type == "run.completed", second.describe()
        assert second.text == "Transfer approved."
        assert not second.of("run.input_required")
        # a node's own message (no model) still streams as a delta, then completes
        assert second.delta_text == "Transfer approved."


async def test_resume_value_is_the_data_part_when_there_is_one() -> None:
    async with serving(approval_graph()) as kit:
        await kit.run("send 10 to Bob", "s1")
        answer = Message(role="user", parts=[DataPart(data={"approved": False})])
        result = await run_message(kit, answer, "s1")
    assert result.text == "Transfer declined ({'approved': False})."


async def test_sessions_survive_a_restart_on_a_sqlite_store(tmp_path: Path) -> None:
    store = {"backend": "sqlite", "path": str(tmp_path / "host.db")}
    script = Script(turns=[Turn(echo=True)])
    async with serving(langchain_agent(script), store=store) as kit:
        assert (await kit.run("alpha", "s1")).text == "alpha"
    assert (tmp_path / "host.langgraph.db").is_file()
    # a new host and a new graph object: all the memory is in the file
    again = Script(turns=[Turn(echo=True)])
    async with serving(langchain_agent(again), store=store) as kit:
        assert (await kit.run("beta", "s1")).text == "alpha | beta"


async def test_explicit_checkpoint_path(tmp_path: Path) -> None:
    path = tmp_path / "graph-state.db"
    options = {"checkpointer": "sqlite", "checkpoint_path": str(path)}
    async with serving(langchain_agent(Script(turns=[Turn(echo=True)])), options) as kit:
        assert (await kit.run("alpha", "s1")).text == "alpha"
    assert path.is_file()


async def test_the_graphs_own_checkpointer_is_used() -> None:
    saver = InMemorySaver()
    graph = langchain_agent(Script(turns=[Turn(echo=True)]), checkpointer=saver)
    async with serving(graph) as kit:
        await kit.run("alpha", "s1")
    assert saver.get_tuple({"configurable": {"thread_id": "s1"}}) is not None


async def test_checkpointer_none_keeps_no_memory() -> None:
    graph = langchain_agent(Script(turns=[Turn(echo=True), Turn(echo=True)]))
    async with serving(graph, {"checkpointer": "none"}) as kit:
        await kit.run("alpha", "s1")
        assert (await kit.run("beta", "s1")).text == "beta"


async def test_sqlite_checkpointer_without_a_path_is_a_clear_error() -> None:
    graph = langchain_agent(Script(turns=[Turn(text="hi")]))
    async with serving(graph, {"checkpointer": "sqlite"}) as kit:
        result = await kit.run("hello", "s1")
    assert result.terminal.type == "run.failed"
    assert "checkpoint_path" in result.terminal.message


def test_unknown_option_is_a_config_error_naming_the_key() -> None:
    graph = langchain_agent(Script(turns=[Turn(text="hi")]))
    host = Host(parse_config({"frontends": {}}, "<test>"))
    with pytest.raises(ConfigError) as info:
        host.add_agent("agent", graph, options={"checkpointer": "disk"})
    assert "agents.agent.options.checkpointer" in str(info.value)


async def test_instructions_become_one_system_message() -> None:
    model = ScriptedChatModel(turns=["one", "two"])
    from langchain.agents import create_agent

    async with serving(create_agent(model, [])) as kit:
        for text, instructions in (("hi", "Be brief."), ("again", "Be very brief.")):
            run_input = RunInput(
                agent="agent",
                messages=[Message.text(text)],
                session_id="s1",
                instructions=instructions,
            )
            result = await kit.collect(await kit.host.runs.start(run_input))
            assert result.terminal.type == "run.completed", result.describe()
    sent = model.seen[-1]
    systems = [m.text for m in sent if m.type == "system"]
    assert systems == ["Be very brief."], [(m.type, m.text) for m in sent]
    assert user_texts(sent) == ["hi", "again"]


async def test_images_and_files_reach_the_model_as_content_blocks() -> None:
    model = ScriptedChatModel(turns=["seen"])
    from langchain.agents import create_agent

    png = b"\x89PNG\r\n\x1a\nfake"
    message = Message(
        role="user",
        parts=[
            TextPart(text="what is this?"),
            FilePart(name="pic.png", mime_type="image/png", bytes=png),
            FilePart(name="doc.pdf", mime_type="application/pdf", uri="https://example.com/d.pdf"),
        ],
    )
    async with serving(create_agent(model, [])) as kit:
        result = await run_message(kit, message, "s1")
    assert result.text == "seen"
    blocks: Any = model.seen[-1][-1].content
    assert blocks[0] == {"type": "text", "text": "what is this?"}
    assert blocks[1]["type"] == "image" and blocks[1]["mime_type"] == "image/png"
    assert base64.b64decode(blocks[1]["base64"]) == png
    assert blocks[2]["type"] == "file" and blocks[2]["url"] == "https://example.com/d.pdf"


async def test_reasoning_blocks_stream_as_reasoning_deltas() -> None:
    thinking = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "The user greets me."},
            {"type": "text", "text": "Hello!"},
        ]
    )
    from langchain.agents import create_agent

    async with serving(create_agent(ScriptedChatModel(turns=[thinking]), [])) as kit:
        result = await kit.run("hi", "s1")
    assert "".join(e.text for e in result.of("reasoning.delta")) == "The user greets me."
    assert result.delta_text == "Hello!"
    assert result.text == "Hello!"


def test_adapter_is_detected_only_once_langgraph_is_loaded() -> None:
    host = Host(parse_config({"frontends": {}}, "<test>"))
    component = host.plugins.get("adapter", "langgraph")
    assert component.details.get("detect_modules") == ("langgraph",)
    assert host.detect_adapter(approval_graph()) == "langgraph"
    assert host.detect_adapter(approval_graph().compile()) == "langgraph"


async def test_a_subgraph_agent_reports_each_message_once() -> None:
    """A parent graph whose node is a whole agent: the node writes the conversation back."""
    from agenthost.testing.script import ScriptedCall, lookup_tool

    calls: list[str] = []
    inner = langchain_agent(
        Script(
            turns=[
                Turn(text="Looking.", tool_calls=(ScriptedCall("c1", "lookup", {"city": "Oslo"}),)),
                Turn(text="First answer."),
                Turn(text="Second answer."),
            ],
            tools=[lookup_tool("tok", calls)],
        )
    )
    parent = StateGraph(MessagesState)
    parent.add_node("assistant", inner)
    parent.add_edge(START, "assistant")
    parent.add_edge("assistant", END)
    async with serving(parent.compile()) as kit:
        first = await kit.run("weather in Oslo?", "s1")
        second = await kit.run("and now?", "s1")
    assert [c.call_id for c in first.of("tool.call")] == ["c1"]
    assert [r.call_id for r in first.of("tool.result")] == ["c1"]
    assert first.text == "Looking.First answer."
    assert not second.of("tool.call") and not second.of("tool.result")
    assert second.text == "Second answer."
    assert second.delta_text == "Second answer."
