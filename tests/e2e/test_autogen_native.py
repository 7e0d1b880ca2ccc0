"""AutoGen agents served like ``agenthost serve module:attr``, over the native SSE API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agenthost import AgentApp, Host
from agenthost.cli import target_config
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .autogen_agents import EXAMPLE, SlowTool, slow_agent
from .framework_checks import check_run_python_counted_words
from .langgraph_http import of, output_text, run_native, sse_events


@pytest.fixture(scope="module")
def example_server() -> Iterator[ServerHandle]:
    """The example served the way ``agenthost serve examples/autogen_agent.py:agent`` does."""
    host = Host(target_config(f"{EXAMPLE}:agent", None, None))
    with running_server(AgentApp(host=host)) as server:
        yield server


def test_the_example_agent_is_detected_and_described(example_server: ServerHandle) -> None:
    with httpx.Client(base_url=example_server.url) as client:
        [agent] = client.get("/agents").json()["agents"]
    assert (agent["name"], agent["framework"]) == ("agent", "autogen")
    assert agent["description"] == "Counts the words of your message, in Python."


def test_the_example_runs_python_in_the_sessions_sandbox(example_server: ServerHandle) -> None:
    with httpx.Client(base_url=example_server.url, timeout=60) as client:
        events = run_native(client, "agent", "how many words is this", "s1")
        again = run_native(client, "agent", "and these three", "s1")
    check_run_python_counted_words(events)
    assert output_text(again) == "Let me count.Your message has 3 words."
    assert events[-1]["usage"]["total_tokens"] == 36  # two model calls of 12 + 6


def test_a_team_and_a_handoff_over_http() -> None:
    config = {
        "agents": {
            "team": {"target": "tests.e2e.autogen_agents:team"},
            "booker": {"target": "tests.e2e.autogen_agents:asker"},
        },
        "frontends": {"native": {}},
    }
    with running_server(AgentApp(parse_config(config, "<test>"))) as server, httpx.Client(
        base_url=server.url, timeout=30
    ) as client:
        team = run_native(client, "team", "write", "t1")
        asked = run_native(client, "booker", "book a flight", "b1")
        answered = run_native(client, "booker", "Rome", "b1")
        status = client.get(f"/runs/{asked[0]['run_id']}").json()["status"]
    done = [e["message"]["parts"][0]["text"] for e in of(team, "message.completed")]
    assert done == ["A draft.", "Fine. APPROVED"]
    assert team[-1]["output"][-1]["parts"] == [
        {"type": "data", "data": {"stop_reason": "Text 'APPROVED' mentioned"}}
    ]
    [question] = of(asked, "run.input_required")
    assert question["prompt"] == "Which city?" and status == "input_required"
    assert output_text(answered) == "Booked a flight to Rome."


def test_cancel_over_http_stops_the_tool_and_the_session_goes_on() -> None:
    tool = SlowTool()
    app = AgentApp(parse_config({"frontends": {"native": {}}}, "<test>"))
    app.host.add_agent("slow", slow_agent(tool))
    with running_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        seen: list[dict[str, Any]] = []
        body = {"input": "go", "session_id": "c1"}
        with client.stream("POST", "/agents/slow/runs", json=body) as response:
            run_id = response.headers["x-run-id"]
            for event in sse_events(response):
                seen.append(event)
                if event["type"] == "tool.call":
                    cancelled = client.post(f"/runs/{run_id}/cancel")
                    assert cancelled.json()["status"] == "cancelled"
        after = run_native(client, "slow", "again", "c1")
    assert seen[-1]["type"] == "run.cancelled"
    assert (tool.started, tool.cancelled, tool.finished) == (True, True, False)
    assert output_text(after) == "done"
