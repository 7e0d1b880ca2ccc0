"""MAF agents running Python in the session's sandbox, served over the native API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from agent_framework import Agent

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from agenthost_maf import ScriptedChatClient, sandbox_tools

from .framework_checks import check_sandbox_tools_by_name
from .langgraph_http import of, output_text, run_native
from .maf_agents import coder_turn

CONFIG = {
    "agents": {"coder": {"target": "tests.e2e.maf_agents:coder"}},
    "frontends": {"native": {}},
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    app = AgentApp(parse_config(CONFIG, "<test>"))
    # No tools of its own: the adapter gives it run_python on every run (the option).
    bare = Agent(client=ScriptedChatClient([coder_turn], repeat_last=True))
    app.host.add_agent("bare", bare, options={"sandbox_tools": ["run_python"]})
    with running_server(app) as handle:
        yield handle


def test_the_sandbox_lives_as_long_as_the_session(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        first = run_native(client, "coder", "y = 20", "py-1")
        same = run_native(client, "coder", "y + 1", "py-1")
        other = run_native(client, "coder", "y + 1", "py-2")
    assert of(first, "tool.result")[0]["is_error"] is False
    assert of(same, "tool.result")[0]["output"] == "21"
    [failed] = of(other, "tool.result")
    assert failed["is_error"] is True and "NameError" in failed["output"]
    assert output_text(other).startswith("Running it.Result: Traceback")


def test_sandbox_tools_given_per_run_by_the_option(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        events = run_native(client, "bare", "6 * 7", "py-3")
    [call] = of(events, "tool.call")
    assert call["name"] == "run_python" and call["arguments"] == {"code": "6 * 7"}
    assert of(events, "tool.result")[0]["output"] == "42"
    assert output_text(events) == "Running it.Result: 42"


def test_sandbox_tools_by_name() -> None:
    check_sandbox_tools_by_name(sandbox_tools)
