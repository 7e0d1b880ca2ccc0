"""A served host with a docker sandbox profile: the demo agent's fenced Python runs in a
container over real HTTP, session state persists across runs, and the host's shutdown leaves
no container behind."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from agenthost.app import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import running_server

pytestmark = pytest.mark.docker


def run(url: str, text: str, session: str) -> list[dict[str, Any]]:
    body = {"input": text, "session_id": session, "stream": False}
    response = httpx.post(f"{url}/agents/demo/runs", json=body, timeout=60)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def test_demo_agent_runs_python_in_a_container_and_shutdown_cleans_up(engine: Any) -> None:
    profile = f"serve-{uuid.uuid4().hex[:8]}"
    config = parse_config(
        {
            "agents": {"demo": {"target": "agenthost.builtin.demo:demo", "sandbox": profile}},
            "sandboxes": {profile: {"backend": "docker", "pool": 1}},
        },
        "<test>",
    )
    label = {"label": f"agenthost.profile={profile}"}
    with running_server(AgentApp(config)) as server:
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        first = run(server.url, "```python\nimport os\nuid = os.getuid()\nuid\n```", "s1")
        results = [e for e in first if e["type"] == "tool.result"]
        assert results and results[0]["output"] == "65532" and not results[0]["is_error"]
        second = run(server.url, "```python\nuid + 1\n```", "s1")  # the same container
        assert [e["output"] for e in second if e["type"] == "tool.result"] == ["65533"]
        other = run(server.url, "```python\n'uid' in globals()\n```", "s2")
        assert [e["output"] for e in other if e["type"] == "tool.result"] == ["False"]
        # At least the two sessions' sandboxes run now (the pool's refill may be under way).
        assert len(engine.containers.list(filters=label)) >= 2
    assert engine.containers.list(all=True, filters=label) == []
