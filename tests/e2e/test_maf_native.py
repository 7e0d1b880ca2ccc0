"""A MAF agent served like ``agenthost serve module:agent``, over the native SSE API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from agent_framework import Agent, Content, Message

from agenthost import AgentApp, Host
from agenthost.cli import target_config
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from agenthost_maf import ScriptedChatClient

from .framework_checks import (
    check_cancel_stops_the_tool,
    check_example_counts_words,
    check_serve_needs_no_other_configuration,
    serving_example,
    waiting_tool,
)
from .langgraph_http import of, output_text, run_native
from .maf_agents import janitor

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "maf_agent.py"

example_server = serving_example(f"{EXAMPLE}:agent")


def test_the_example_agent_is_detected_and_described(example_server: ServerHandle) -> None:
    with httpx.Client(base_url=example_server.url) as client:
        agents = client.get("/agents").json()["agents"]
    assert [(a["name"], a["framework"]) for a in agents] == [("agent", "maf")]
    assert agents[0]["description"] == "Counts the words of your message, in Python."


def test_a_run_streams_text_and_a_real_tool_call(example_server: ServerHandle) -> None:
    with httpx.Client(base_url=example_server.url, timeout=30) as client:
        events = run_native(client, "agent", "how many words is this", "s1")
    check_example_counts_words(events)


def test_the_example_team_is_a_workflow_factory() -> None:
    host = Host(target_config(f"{EXAMPLE}:team", None, None))
    with running_server(AgentApp(host=host)) as server, httpx.Client(base_url=server.url) as client:
        events = run_native(client, "team", "a poem please", "s1")
    completed = [e["message"]["parts"][0]["text"] for e in of(events, "message.completed")]
    assert completed == ["Draft: roses are red.", "Reviewed: looks good."]


def test_approval_over_http_asks_then_resumes() -> None:
    app = AgentApp(parse_config({"frontends": {"native": {}}}, "<test>"))
    app.host.add_agent("janitor", janitor)
    with running_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        first = run_native(client, "janitor", "clean up", "s1")
        [asked] = of(first, "run.input_required")
        [call] = asked["payload"]["calls"]
        assert (call["name"], call["arguments"]) == ("delete_file", {"path": "notes.txt"})
        assert client.get(f"/runs/{first[0]['run_id']}").json()["status"] == "input_required"
        second = run_native(client, "janitor", "yes", "s1")
        assert output_text(second) == "Done: deleted notes.txt"


def slow_agent(state: dict[str, Any]) -> Agent:
    """An agent whose tool waits until cancelled, recording what happened in ``state``."""

    wait_for = waiting_tool(state)
    call = Content.from_function_call("call_wait", "wait_for", arguments={"seconds": 30})
    client = ScriptedChatClient([Message(role="assistant", contents=[call]), "done"])
    return Agent(client=client, tools=[wait_for])


def test_cancel_over_http_stops_the_tool() -> None:
    state: dict[str, Any] = {}
    check_cancel_stops_the_tool(slow_agent(state), state)


def test_agenthost_serve_needs_no_other_configuration(tmp_path: Path) -> None:
    """The real CLI in a subprocess: ``agenthost serve examples/maf_agent.py:agent``."""
    check_serve_needs_no_other_configuration(tmp_path, f"{EXAMPLE}:agent", "agent")
