"""A LangGraph agent served like ``agenthost serve module:graph``, over the native SSE API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from agenthost_langgraph import ScriptedChatModel
from agenthost_langgraph.testing import user_texts

from ..adapters.langgraph.agents import approval_graph
from .framework_checks import (
    check_cancel_stops_the_tool,
    check_example_counts_words,
    check_serve_needs_no_other_configuration,
    serving_example,
    waiting_tool,
)
from .langgraph_http import EXAMPLE, of, output_text, run_native

example_server = serving_example(f"{EXAMPLE}:graph")


def test_the_example_graph_is_detected_and_described(example_server: ServerHandle) -> None:
    with httpx.Client(base_url=example_server.url) as client:
        agents = client.get("/agents").json()["agents"]
    assert [(a["name"], a["framework"]) for a in agents] == [("graph", "langgraph")]


def test_a_run_streams_text_and_a_real_tool_call(example_server: ServerHandle) -> None:
    with httpx.Client(base_url=example_server.url, timeout=30) as client:
        events = run_native(client, "graph", "how many words is this", "s1")
    check_example_counts_words(events)


def test_sessions_over_http_are_the_graphs_threads() -> None:
    def echo(messages: list[BaseMessage]) -> str:
        return " | ".join(user_texts(messages))

    app = AgentApp(parse_config({"frontends": {"native": {}}}, "<test>"))
    app.host.add_agent("echo", create_agent(ScriptedChatModel(turns=[echo], repeat_last=True), []))
    with running_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert output_text(run_native(client, "echo", "alpha", "s1")) == "alpha"
        assert output_text(run_native(client, "echo", "beta", "s1")) == "alpha | beta"
        assert output_text(run_native(client, "echo", "gamma", "s2")) == "gamma"


def slow_graph(state: dict[str, Any]) -> Any:
    """An agent whose tool waits until cancelled, recording what happened in ``state``."""

    wait_for = tool(waiting_tool(state))
    call = {"name": "wait_for", "args": {"seconds": 30}, "id": "call_wait"}
    model = ScriptedChatModel(turns=[AIMessage(content="Waiting.", tool_calls=[call]), "done"])
    return create_agent(model, [wait_for])


def test_cancel_over_http_stops_the_tool() -> None:
    state: dict[str, Any] = {}
    check_cancel_stops_the_tool(slow_graph(state), state, status_checked=True)


def test_interrupt_over_http_asks_then_resumes() -> None:
    app = AgentApp(parse_config({"frontends": {"native": {}}}, "<test>"))
    app.host.add_agent("approve", approval_graph())
    with running_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        first = run_native(client, "approve", "send 10 to Bob", "s1")
        [asked] = of(first, "run.input_required")
        assert asked["payload"] == {"question": "Approve the transfer?", "amount": 10}
        assert first[-1]["type"] == "run.completed"
        assert client.get(f"/runs/{first[0]['run_id']}").json()["status"] == "input_required"
        second = run_native(client, "approve", "yes", "s1")
        assert output_text(second) == "Transfer approved."


def test_agenthost_serve_needs_no_other_configuration(tmp_path: Path) -> None:
    """The real CLI in a subprocess: ``agenthost serve examples/langgraph_agent.py:graph``."""
    check_serve_needs_no_other_configuration(tmp_path, f"{EXAMPLE}:graph", "graph")
