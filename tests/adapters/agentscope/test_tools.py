"""Tools: the host's sandbox tools in a real (local) sandbox, tool images, external tools."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from agentscope.agent import Agent
from agentscope.message import Base64Source, DataBlock, TextBlock
from agentscope.permission import PermissionBehavior, PermissionContext, PermissionDecision
from agentscope.tool import FunctionTool, ToolBase, ToolChunk, Toolkit

from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, function_tool, sandbox_tools

from .test_adapter import serving


def test_sandbox_tools_are_allowed_function_tools_by_name() -> None:
    tools = sandbox_tools()
    assert [t.name for t in tools] == [
        "run_python",
        "run_shell",
        "read_file",
        "write_file",
        "list_files",
    ]
    assert all(isinstance(t, FunctionTool) for t in tools)
    assert tools[0].input_schema["required"] == ["code"]
    with pytest.raises(ValueError, match="no sandbox tool named"):
        sandbox_tools(["run_ruby"])


async def test_run_python_keeps_the_sessions_namespace_and_reports_errors() -> None:
    def python(code: str, call_id: str) -> ScriptedAnswer:
        return ScriptedAnswer(tool_calls=[(call_id, "run_python", {"code": code})])

    model = ScriptedChatModel(
        [python("x = 41", "c1"), "set", python("x + 1", "c2"), "read", python("y", "c3"), "no"]
    )
    [tool] = sandbox_tools(["run_python"])
    assert (
        await tool.check_permissions({}, PermissionContext())
    ).behavior == PermissionBehavior.ALLOW
    agent = Agent(name="coder", system_prompt="s", model=model, toolkit=Toolkit([tool]))
    async with serving(agent) as kit:
        await kit.run("set x", "py-1")
        same = await kit.run("read x", "py-1")
        other = await kit.run("read y", "py-2")
    [read] = same.of("tool.result")
    assert (read.call_id, read.output, read.is_error) == ("c2", "42", False)
    [failed] = other.of("tool.result")
    assert failed.is_error and "NameError" in failed.output
    assert other.terminal.type == "run.completed"


async def test_images_a_tool_returns_become_artifacts() -> None:
    png = b"\x89PNG\r\n\x1a\nplot"

    async def plot() -> ToolChunk:
        """Draw a plot."""
        source = Base64Source(data=base64.b64encode(png).decode(), media_type="image/png")
        return ToolChunk(content=[TextBlock(text="drawn"), DataBlock(source=source)])

    model = ScriptedChatModel([ScriptedAnswer(tool_calls=[("c1", "plot", {})]), "Here."])
    agent = Agent(name="a", system_prompt="s", model=model, toolkit=Toolkit([function_tool(plot)]))
    async with serving(agent) as kit:
        result = await kit.run("plot it", "s1")
    [artifact] = result.of("artifact")
    assert artifact.call_id == "c1"
    assert (artifact.part.mime_type, artifact.part.bytes) == ("image/png", png)
    [tool_result] = result.of("tool.result")
    assert tool_result.output == "drawn" and not tool_result.is_error


class Deploy(ToolBase):
    """A tool the caller runs (AgentScope's external execution)."""

    is_external_tool = True
    is_concurrency_safe = True
    is_read_only = False

    def __init__(self) -> None:
        super().__init__()
        self.name = "deploy"
        self.description = "Deploy the service."
        self.input_schema = {
            "type": "object",
            "properties": {"service": {"type": "string"}},
            "required": ["service"],
        }

    async def check_permissions(self, *args: Any, **kwargs: Any) -> PermissionDecision:
        return PermissionDecision(behavior=PermissionBehavior.ALLOW, message="ok")


async def test_an_external_tool_asks_for_its_result_and_the_next_message_is_it() -> None:
    model = ScriptedChatModel(
        [ScriptedAnswer(tool_calls=[("c1", "deploy", {"service": "api"})]), "Deployed."]
    )
    agent = Agent(name="ops", system_prompt="s", model=model, toolkit=Toolkit([Deploy()]))
    async with serving(agent) as kit:
        first = await kit.run("deploy the api", "s1")
        [asked] = first.of("run.input_required")
        assert asked.payload["kind"] == "external"
        assert asked.payload["tool_calls"] == [
            {"call_id": "c1", "name": "deploy", "arguments": {"service": "api"}}
        ]
        second = await kit.run("version 7 is live", "s1")
    [result] = second.of("tool.result")
    assert (result.call_id, result.output, result.is_error) == ("c1", "version 7 is live", False)
    assert second.text == "Deployed."
