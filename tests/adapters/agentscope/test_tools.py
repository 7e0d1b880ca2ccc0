"""The host's sandbox tools as AgentScope tools, in a real (local) sandbox."""

from __future__ import annotations

import pytest
from agentscope.agent import Agent
from agentscope.permission import PermissionBehavior
from agentscope.tool import FunctionTool, Toolkit

from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, sandbox_tools

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
    assert (await tool.check_permissions()).behavior == PermissionBehavior.ALLOW
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
