"""Served LangGraph agents for the end-to-end tests (scripted models: offline, no keys)."""

from __future__ import annotations

import uuid

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agenthost_langgraph import ScriptedChatModel, sandbox_tools

from ..adapters.langgraph.agents import approval_graph


def _coder_turn(messages: list[BaseMessage]) -> AIMessage:
    """Runs the user's message as Python in the sandbox, then reports what came back."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        verdict = "Error" if last.status == "error" else "Result"
        return AIMessage(content=f"{verdict}: {last.text}")
    call = {"name": "run_python", "args": {"code": last.text}, "id": f"call_{uuid.uuid4().hex[:8]}"}
    return AIMessage(content="Running it.", tool_calls=[call])


coder = create_agent(
    ScriptedChatModel(turns=[_coder_turn], repeat_last=True),
    sandbox_tools(["run_python"]),
    name="coder",
)


approve = approval_graph().compile()  # asks with interrupt(); the next message resumes it


def _echo_turn(messages: list[BaseMessage]) -> str:
    return " | ".join(m.text for m in messages if m.type == "human")


echo = create_agent(ScriptedChatModel(turns=[_echo_turn], repeat_last=True), [], name="echo")
