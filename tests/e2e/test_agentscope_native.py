"""AgentScope agents over the native SSE API: the example, sessions, cancel, approvals, the CLI."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from agentscope.agent import Agent
from agentscope.tool import Toolkit

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, function_tool

from .agentscope_agents import CONFIG, EXAMPLE
from .langgraph_http import of, output_text, run_native, sse_events


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as handle:
        yield handle


def test_the_example_is_detected_and_described(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url) as client:
        agents = {a["name"]: a for a in client.get("/agents").json()["agents"]}
    assert agents["counter"]["framework"] == "agentscope"
    assert agents["counter"]["description"] == "You count words, in Python."


def test_a_run_streams_text_and_runs_python_in_the_sandbox(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        events = run_native(client, "counter", "how many words is this", "n1")
    [call] = of(events, "tool.call")
    assert call["name"] == "run_python"
    assert call["arguments"] == {"code": "len('how many words is this'.split())"}
    [result] = of(events, "tool.result")
    assert result["call_id"] == call["call_id"]
    assert (result["output"], result["is_error"]) == ("5", False)
    assert len(of(events, "message.delta")) > 2
    assert output_text(events) == "Let me count.Your message has 5 words."


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

    async def wait_for(seconds: int) -> str:
        """Wait.

        Args:
            seconds (int): how long
        """
        state["started"] = True
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            state["cancelled"] = True
            raise
        state["finished"] = True
        return "waited"

    model = ScriptedChatModel(
        [ScriptedAnswer("Waiting.", tool_calls=[("call_wait", "wait_for", {"seconds": 30})])]
    )
    slow = Agent(
        name="slow", system_prompt="s", model=model, toolkit=Toolkit([function_tool(wait_for)])
    )
    app = AgentApp(parse_config({"frontends": {"native": {}}}, "<test>"))
    app.host.add_agent("slow", slow)
    with running_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        seen: list[dict[str, Any]] = []
        with client.stream("POST", "/agents/slow/runs", json={"input": "go"}) as response:
            run_id = response.headers["x-run-id"]
            for event in sse_events(response):
                seen.append(event)
                if event["type"] == "tool.call":
                    assert client.post(f"/runs/{run_id}/cancel").json()["status"] == "cancelled"
        assert seen[-1]["type"] == "run.cancelled"
        assert client.get(f"/runs/{run_id}").json()["status"] == "cancelled"
    assert state == {"started": True, "cancelled": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_agenthost_serve_needs_no_other_configuration(tmp_path: Any) -> None:
    """The real CLI in a subprocess: ``agenthost serve examples/agentscope_agent.py:agent``."""
    port = _free_port()
    command = [sys.executable, "-m", "agenthost.cli", "serve", f"{EXAMPLE}:agent"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=tmp_path,  # no agenthost.toml there: nothing but the target
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            while True:  # poll readiness, bounded by the deadline
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not become ready"
                time.sleep(0.05)
            events = run_native(client, "agent", "count these four words", "s1")
        assert output_text(events) == "Let me count.Your message has 4 words."
    finally:
        process.terminate()
        process.wait(10)
