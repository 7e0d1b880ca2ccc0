"""An Agno agent served like ``agenthost serve module:agent``, over the native SSE API."""

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
from agno.agent import Agent

from agenthost import AgentApp, Host
from agenthost.cli import target_config
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from agenthost_agno import Reply, ScriptedModel

from .agno_agents import EXAMPLE
from .langgraph_http import of, output_text, run_native, sse_events

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.agno_agents:coder"},
        "janitor": {"target": "tests.e2e.agno_agents:janitor"},
    },
    "frontends": {"native": {}},
}


@pytest.fixture
def example_server() -> Iterator[ServerHandle]:
    """The example served the way ``agenthost serve examples/agno_agent.py:agent`` does."""
    host = Host(target_config(f"{EXAMPLE}:agent", None, None))
    with running_server(AgentApp(host=host)) as server:
        yield server


def test_the_example_streams_text_and_runs_python_in_the_sandbox(
    example_server: ServerHandle,
) -> None:
    with httpx.Client(base_url=example_server.url, timeout=60) as client:
        agents = client.get("/agents").json()["agents"]
        events = run_native(client, "agent", "how many words is this", "s1")
    assert [(a["name"], a["framework"]) for a in agents] == [("agent", "agno")]
    assert agents[0]["description"] == "Counts the words of your message, in Python."
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] == "run.completed"
    [call] = of(events, "tool.call")
    assert call["name"] == "run_python"
    assert call["arguments"] == {"code": "len('how many words is this'.split())"}
    [result] = of(events, "tool.result")
    assert result["call_id"] == call["call_id"] and result["output"] == "5"
    assert types.index("tool.call") < types.index("tool.result")
    assert len(of(events, "message.delta")) > 2
    assert output_text(events) == "Let me count.Your message has 5 words."


def test_a_sandbox_error_is_an_error_result_and_the_sandbox_is_per_session() -> None:
    with (
        running_server(AgentApp(parse_config(CONFIG, "<test>"))) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        run_native(client, "coder", "y = 20", "py-1")
        same = run_native(client, "coder", "y + 1", "py-1")
        other = run_native(client, "coder", "y + 1", "py-2")
    assert of(same, "tool.result")[0]["output"] == "21"
    [failed] = of(other, "tool.result")
    assert failed["is_error"] is True and "NameError" in failed["output"]
    assert output_text(other).startswith("Running it.Error: ")


def test_confirmation_over_http_asks_then_resumes() -> None:
    with (
        running_server(AgentApp(parse_config(CONFIG, "<test>"))) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        first = run_native(client, "janitor", "notes.txt", "s1")
        [asked] = of(first, "run.input_required")
        [requirement] = asked["payload"]["requirements"]
        assert (requirement["name"], requirement["arguments"]) == (
            "delete_file",
            {"path": "notes.txt"},
        )
        assert client.get(f"/runs/{first[0]['run_id']}").json()["status"] == "input_required"
        second = run_native(client, "janitor", "yes", "s1")
    assert output_text(second) == "Done: deleted notes.txt."


def test_cancel_over_http_stops_the_tool() -> None:
    state: dict[str, Any] = {}

    async def wait_for(seconds: int) -> str:
        """Wait for a number of seconds."""
        state["started"] = True
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            state["cancelled"] = True
            raise
        state["finished"] = True
        return "waited"

    model = ScriptedModel(
        turns=[Reply("Waiting.", [("call_wait", "wait_for", {"seconds": 30})]), "done"]
    )
    app = AgentApp(parse_config({"frontends": {"native": {}}}, "<test>"))
    app.host.add_agent("slow", Agent(model=model, tools=[wait_for]))
    with running_server(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        seen: list[dict[str, Any]] = []
        with client.stream("POST", "/agents/slow/runs", json={"input": "go"}) as response:
            run_id = response.headers["x-run-id"]
            for event in sse_events(response):
                seen.append(event)
                if event["type"] == "tool.call":
                    cancelled = client.post(f"/runs/{run_id}/cancel")
                    assert cancelled.status_code == 200
                    assert cancelled.json()["status"] == "cancelled"
        assert seen[-1]["type"] == "run.cancelled"
    assert state == {"started": True, "cancelled": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_agenthost_serve_needs_no_other_configuration(tmp_path: Any) -> None:
    """The real CLI in a subprocess: ``agenthost serve examples/agno_agent.py:agent``."""
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
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
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
