"""AgentScope agents over the native SSE API: the example, sessions, cancel, approvals, the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from agentscope.agent import Agent
from agentscope.tool import Toolkit

from agenthost.testing.server import ServerHandle
from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, function_tool

from .agentscope_agents import CONFIG, EXAMPLE
from .framework_checks import (
    check_cancel_stops_the_tool,
    check_run_python_counted_words,
    check_serve_needs_no_other_configuration,
    serving,
    waiting_tool,
)
from .langgraph_http import of, output_text, run_native

server = serving(CONFIG)


def test_the_example_is_detected_and_described(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url) as client:
        agents = {a["name"]: a for a in client.get("/agents").json()["agents"]}
    assert agents["counter"]["framework"] == "agentscope"
    assert agents["counter"]["description"] == "You count words, in Python."


def test_a_run_streams_text_and_runs_python_in_the_sandbox(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        events = run_native(client, "counter", "how many words is this", "n1")
    check_run_python_counted_words(events)


def test_sessions_are_the_agents_conversations(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert output_text(run_native(client, "echo", "alpha", "e1")) == "alpha"
        assert output_text(run_native(client, "echo", "beta", "e1")) == "alpha | beta"
        assert output_text(run_native(client, "echo", "gamma", "e2")) == "gamma"


def test_an_approval_over_http_asks_then_resumes(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        first = run_native(client, "approve", "pay Bob", "p1")
        [asked] = of(first, "run.input_required")
        [call] = asked["payload"]["tool_calls"]
        assert (call["name"], call["arguments"]) == ("transfer", {"amount": 10, "to": "Bob"})
        assert client.get(f"/runs/{first[0]['run_id']}").json()["status"] == "input_required"
        wrong = run_native(client, "approve", "what?", "p1")
        assert wrong[-1]["type"] == "run.failed" and wrong[-1]["code"] == "AwaitingApproval"
        second = run_native(client, "approve", "approve", "p1")
    [result] = of(second, "tool.result")
    assert result["output"] == "sent 10 to Bob" and result["call_id"] == call["call_id"]
    assert output_text(second) == "Transfer done."


def test_cancel_over_http_stops_the_tool() -> None:
    state: dict[str, Any] = {}

    wait_for = waiting_tool(state, "Wait.\n\nArgs:\n    seconds (int): how long\n")
    model = ScriptedChatModel(
        [ScriptedAnswer("Waiting.", tool_calls=[("call_wait", "wait_for", {"seconds": 30})])]
    )
    slow = Agent(
        name="slow", system_prompt="s", model=model, toolkit=Toolkit([function_tool(wait_for)])
    )
    check_cancel_stops_the_tool(slow, state, code_checked=False, status_checked=True)


def test_agenthost_serve_needs_no_other_configuration(tmp_path: Path) -> None:
    """The real CLI in a subprocess: ``agenthost serve examples/agentscope_agent.py:agent``."""
    check_serve_needs_no_other_configuration(tmp_path, f"{EXAMPLE}:agent", "agent", deadline_s=60)
