"""An Agno agent served like ``agenthost serve module:agent``, over the native SSE API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from agno.agent import Agent

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from agenthost_agno import Reply, ScriptedModel

from .agno_agents import EXAMPLE
from .framework_checks import (
    check_cancel_stops_the_tool,
    check_example_counts_words,
    check_serve_needs_no_other_configuration,
    serving_example,
    waiting_tool,
)
from .langgraph_http import of, output_text, run_native

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.agno_agents:coder"},
        "janitor": {"target": "tests.e2e.agno_agents:janitor"},
    },
    "frontends": {"native": {}},
}


example_server = serving_example(f"{EXAMPLE}:agent")


def test_the_example_streams_text_and_runs_python_in_the_sandbox(
    example_server: ServerHandle,
) -> None:
    with httpx.Client(base_url=example_server.url, timeout=60) as client:
        agents = client.get("/agents").json()["agents"]
        events = run_native(client, "agent", "how many words is this", "s1")
    assert [(a["name"], a["framework"]) for a in agents] == [("agent", "agno")]
    assert agents[0]["description"] == "Counts the words of your message, in Python."
    check_example_counts_words(events)


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

    wait_for = waiting_tool(state)
    model = ScriptedModel(
        turns=[Reply("Waiting.", [("call_wait", "wait_for", {"seconds": 30})]), "done"]
    )
    check_cancel_stops_the_tool(Agent(model=model, tools=[wait_for]), state, timeout=60)


def test_agenthost_serve_needs_no_other_configuration(tmp_path: Path) -> None:
    """The real CLI in a subprocess: ``agenthost serve examples/agno_agent.py:agent``."""
    check_serve_needs_no_other_configuration(
        tmp_path, f"{EXAMPLE}:agent", "agent", deadline_s=60, timeout=60
    )
