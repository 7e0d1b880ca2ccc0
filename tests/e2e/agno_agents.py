"""Served Agno agents for the end-to-end tests (scripted models: offline, no keys)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from agno.agent import Agent
from agno.tools import tool

from agenthost_agno import Reply, ScriptedModel, sandbox_tools
from agenthost_agno.testing import user_texts

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agno_agent.py"


def _coder_turn(messages: list[Any]) -> Any:
    """Runs the user's message as Python in the sandbox, then reports what came back."""
    last = messages[-1]
    if last.role == "tool":
        verdict = "Error" if last.tool_call_error else "Result"
        return f"{verdict}: {last.get_content_string()}"
    call = (f"call_{uuid.uuid4().hex[:8]}", "run_python", {"code": last.get_content_string()})
    return Reply("Running it.", [call])


coder = Agent(
    name="coder",
    model=ScriptedModel(turns=[_coder_turn], repeat_last=True),
    tools=sandbox_tools(["run_python"]),
)


@tool(requires_confirmation=True)
async def delete_file(path: str) -> str:
    """Delete a file (asks first)."""
    return f"deleted {path}"


def _janitor_turn(messages: list[Any]) -> Any:
    last = messages[-1]
    if last.role == "tool":
        return f"Done: {last.get_content_string()}."
    call = (f"call_{uuid.uuid4().hex[:8]}", "delete_file", {"path": last.get_content_string()})
    return Reply("", [call])


janitor = Agent(
    name="janitor",
    model=ScriptedModel(turns=[_janitor_turn], repeat_last=True),
    tools=[delete_file],
)


echo = Agent(
    name="echo",
    model=ScriptedModel(
        turns=[lambda messages: " | ".join(user_texts(messages))], repeat_last=True
    ),
)
