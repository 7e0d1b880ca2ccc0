"""Served AgentScope agents for the end-to-end tests (scripted models: offline, no keys)."""

from __future__ import annotations

import uuid
from pathlib import Path

from agentscope.agent import Agent
from agentscope.message import Msg
from agentscope.tool import Toolkit

from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, function_tool
from agenthost_agentscope.testing import user_texts

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agentscope_agent.py"


def _last_result_state(messages: list[Msg]) -> str | None:
    """The state of the newest tool result, when the model is answering one."""
    last = messages[-1]
    results = (
        [b for b in last.content if b.type == "tool_result"] if last.role == "assistant" else []
    )
    return str(results[-1].state) if results else None


async def transfer(amount: int, to: str) -> str:
    """Send money.

    Args:
        amount (int): how much
        to (str): to whom
    """
    return f"sent {amount} to {to}"


def _banker(messages: list[Msg]) -> ScriptedAnswer:
    state = _last_result_state(messages)
    if state is not None:
        return ScriptedAnswer("Transfer done." if state == "success" else f"Not sent ({state}).")
    call = (f"call_{uuid.uuid4().hex[:8]}", "transfer", {"amount": 10, "to": "Bob"})
    return ScriptedAnswer("Sending.", tool_calls=[call])


approve = Agent(
    name="banker",
    system_prompt="You move money, with the user's approval.",
    model=ScriptedChatModel([_banker], repeat_last=True),
    toolkit=Toolkit([function_tool(transfer, ask=True)]),
)


def _echo(messages: list[Msg]) -> str:
    return " | ".join(user_texts(messages))


echo = Agent(
    name="echo",
    system_prompt="You repeat what the user said.",
    model=ScriptedChatModel([_echo], repeat_last=True),
)


CONFIG = {
    "agents": {
        "counter": {"target": f"{EXAMPLE}:agent"},
        "approve": {"target": "tests.e2e.agentscope_agents:approve"},
        "echo": {"target": "tests.e2e.agentscope_agents:echo"},
    },
    "frontends": {"native": {}, "responses": {}, "chat": {}, "a2a": {}},
}
"""The example and the agents above, every protocol on (one app for the four E2E modules)."""
