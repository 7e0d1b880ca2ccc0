"""Agno-specific behaviour of the adapter, through the host's run API (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from agno.agent import Agent, AgentFactory
from agno.db.in_memory import InMemoryDb

from agenthost import ConfigError, FilePart, Host, Message, RunInput, TextPart
from agenthost.config import parse_config
from agenthost.sandbox.tools import Tool
from agenthost_agno import Reply, ScriptedModel, sandbox_tools
from agenthost_agno.tools import agno_tool

from .hosting import run_message, serving

USAGE = {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}


async def test_reasoning_content_streams_as_reasoning_deltas() -> None:
    model = ScriptedModel(turns=[Reply("Hello there!", reasoning="The user greets me.")])
    async with serving(Agent(model=model)) as kit:
        result = await kit.run("hi", "s1")
    assert "".join(e.text for e in result.of("reasoning.delta")) == "The user greets me."
    assert result.delta_text == "Hello there!"
    assert result.text == "Hello there!"
    first_reasoning = result.of("reasoning.delta")[0]
    assert first_reasoning.seq < result.of("message.delta")[0].seq


async def test_a_model_error_event_fails_the_run_with_its_type() -> None:
    model = ScriptedModel(turns=[ValueError("model broke badly")])
    async with serving(Agent(model=model)) as kit:
        result = await kit.run("hi", "s1")
    assert result.terminal.type == "run.failed", result.describe()
    assert result.terminal.message == "model broke badly"
    assert result.terminal.code == "ValueError"


async def test_a_tool_error_is_reported_once() -> None:
    async def explode(reason: str) -> str:
        """Always fails."""
        raise ValueError("tool broke")

    model = ScriptedModel(turns=[Reply("", [("c1", "explode", {"reason": "x"})]), "handled"])
    async with serving(Agent(model=model, tools=[explode])) as kit:
        result = await kit.run("go", "s1")
    [reported] = result.of("tool.result")  # agno emits ToolCallCompleted and ToolCallError
    assert reported.is_error and reported.output == "tool broke"
    assert result.text == "handled"


async def test_usage_is_the_sum_of_the_runs_model_calls() -> None:
    async def lookup(city: str) -> str:
        """Look it up."""
        return "sunny"

    model = ScriptedModel(
        turns=[Reply("Looking.", [("c1", "lookup", {"city": "Oslo"})]), "Sunny."], usage=USAGE
    )
    agent = Agent(model=model, tools=[lookup], db=InMemoryDb())
    async with serving(agent) as kit:
        result = await kit.run("weather?", "s1")
    assert len(result.of("usage")) == 2
    usage = result.terminal.usage
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (6, 10, 16)
    stored: Any = await agent.aget_session(session_id="s1")
    metrics = stored.runs[-1].metrics  # agno's own RunCompleted.metrics agree
    assert (metrics.input_tokens, metrics.output_tokens) == (6, 10)


async def test_images_and_files_reach_the_model() -> None:
    model = ScriptedModel(turns=["seen"])
    png = b"\x89PNG\r\n\x1a\nfake"
    message = Message(
        role="user",
        parts=[
            TextPart(text="what is this?"),
            FilePart(name="pic.png", mime_type="image/png", bytes=png),
            FilePart(name="doc.pdf", mime_type="application/pdf", uri="https://example.com/d.pdf"),
        ],
    )
    async with serving(Agent(model=model)) as kit:
        result = await run_message(kit, message, "s1")
    assert result.text == "seen"
    [user] = [m for m in model.seen[-1] if m.role == "user"]
    assert user.get_content_string() == "what is this?"
    assert [(i.content, i.mime_type) for i in user.images or []] == [(png, "image/png")]
    assert [(f.url, f.mime_type) for f in user.files or []] == [
        ("https://example.com/d.pdf", "application/pdf")
    ]


async def test_instructions_and_a_whole_history_go_in_as_messages() -> None:
    model = ScriptedModel(turns=["ok"])
    history = [Message.text("alpha"), Message.text("ALPHA", role="assistant"), Message.text("beta")]
    async with serving(Agent(model=model)) as kit:
        run = await kit.host.runs.start(
            RunInput(agent="agent", messages=history, session_id="s1", instructions="Be brief.")
        )
        result = await kit.collect(run)
    assert result.text == "ok"
    sent = [(m.role, m.get_content_string()) for m in model.seen[-1]]
    assert ("system", "Be brief.") in sent
    assert sent[-3:] == [("user", "alpha"), ("assistant", "ALPHA"), ("user", "beta")]


def test_detection_covers_agents_teams_workflows_and_factories() -> None:
    from agno.team import Team
    from agno.workflow import Workflow

    host = Host(parse_config({"frontends": {}}, "<test>"))
    assert host.plugins.get("adapter", "agno").details.get("detect_modules") == ("agno",)

    def make() -> Agent:
        return Agent(model=ScriptedModel(turns=["hi"]))

    def plain() -> str:
        return "not an agent"

    factory = AgentFactory(id="f", db=InMemoryDb(), factory=lambda ctx: make())
    for obj in (make(), Team(members=[make()]), Workflow(steps=[]), make, factory):
        assert host.detect_adapter(obj) == "agno", obj
    assert host.detect_adapter(plain) == "python"


async def test_an_agno_factory_builds_an_agent_per_run_sharing_the_db() -> None:
    made: list[str | None] = []
    model = ScriptedModel(
        turns=[lambda ms: f"{len([m for m in ms if m.role == 'user'])} turns"], repeat_last=True
    )

    def build(ctx: Any) -> Agent:
        made.append(ctx.session_id)
        return Agent(model=model)

    factory = AgentFactory(id="fact", db=InMemoryDb(), factory=build)
    async with serving(factory) as kit:
        await kit.run("one", "s1")
        result = await kit.run("two", "s1")
    assert made == ["s1", "s1"]
    assert result.text == "2 turns"  # the factory's db kept the session


async def test_a_factory_returning_something_else_fails_the_run() -> None:
    def make() -> Agent:
        return "oops"  # type: ignore[return-value]

    async with serving(make) as kit:
        result = await kit.run("hi", "s1")
    assert result.terminal.type == "run.failed"
    assert "not an Agno Agent, Team or Workflow" in result.terminal.message


def test_unknown_option_is_a_config_error_naming_the_key() -> None:
    host = Host(parse_config({"frontends": {}}, "<test>"))
    with pytest.raises(ConfigError) as info:
        host.add_agent("agent", Agent(model=ScriptedModel()), options={"db": "disk"})
    assert "agents.agent.options.db" in str(info.value)


async def test_a_reserved_parameter_name_is_not_dropped_from_a_sandbox_tool() -> None:
    """Agno removes ``files`` from schemas it derives; the neutral schema is kept as is."""
    got: list[dict[str, Any]] = []

    async def write_files(files: str, path: str) -> str:
        got.append({"files": files, "path": path})
        return "written"

    schema = {
        "type": "object",
        "properties": {"files": {"type": "string"}, "path": {"type": "string"}},
        "required": ["files", "path"],
    }
    function = agno_tool(Tool("write_files", "Write files.", schema, write_files))
    assert set(function.parameters["properties"]) == {"files", "path"}
    model = ScriptedModel(
        turns=[Reply("", [("c1", "write_files", {"files": "a,b", "path": "."})]), "ok"]
    )
    async with serving(Agent(model=model, tools=[function])) as kit:
        result = await kit.run("write", "s1")
    assert got == [{"files": "a,b", "path": "."}]
    assert result.of("tool.result")[0].output == "written"


def test_sandbox_tools_by_name() -> None:
    assert [t.name for t in sandbox_tools()] == [
        "run_python",
        "run_shell",
        "read_file",
        "write_file",
        "list_files",
    ]
    with pytest.raises(ValueError, match="no sandbox tool named"):
        sandbox_tools(["run_ruby"])
