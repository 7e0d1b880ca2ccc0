"""A LangGraph agent that runs Python in the session's sandbox, served over the native API."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from agenthost_langgraph import sandbox_tools

from .framework_checks import check_sandbox_tools_by_name
from .langgraph_http import of, output_text, run_native

CONFIG = {
    "agents": {"coder": {"target": "tests.e2e.langgraph_agents:coder"}},
    "frontends": {"native": {}},
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as handle:
        yield handle


def test_run_python_runs_in_the_sandbox(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        events = run_native(client, "coder", "import os\nx = 6 * 7\nx", "py-1")
    [call] = of(events, "tool.call")
    assert call["name"] == "run_python"
    assert call["arguments"] == {"code": "import os\nx = 6 * 7\nx"}
    [result] = of(events, "tool.result")
    assert result["call_id"] == call["call_id"]
    assert result["output"] == "42" and result["is_error"] is False
    assert output_text(events) == "Running it.Result: 42"


def test_the_sandbox_lives_as_long_as_the_session(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        run_native(client, "coder", "y = 20", "py-2")
        same = run_native(client, "coder", "y + 1", "py-2")
        other = run_native(client, "coder", "y + 1", "py-3")
    assert of(same, "tool.result")[0]["output"] == "21"
    [failed] = of(other, "tool.result")
    assert failed["is_error"] is True and "NameError" in failed["output"]
    assert output_text(other).startswith("Running it.Error: ")


def test_sandbox_tools_by_name() -> None:
    check_sandbox_tools_by_name(sandbox_tools)
