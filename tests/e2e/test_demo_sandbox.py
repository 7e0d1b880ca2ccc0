"""The embedded demo agent runs fenced Python in the session's sandbox, end to end over HTTP:
the call and its result are events, state lives across turns, and a stuck cell can be
cancelled without holding up anyone else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agenthost import AgentApp
from agenthost.cli import embedded_config
from agenthost.testing.server import ServerHandle, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(embedded_config())) as handle:
        yield handle


def sse(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


def ask(server: ServerHandle, text: str, session: str) -> list[dict[str, Any]]:
    with (
        httpx.Client(base_url=server.url, timeout=60) as client,
        client.stream(
            "POST", "/agents/demo/runs", json={"input": text, "session_id": session}
        ) as response,
    ):
        assert response.status_code == 200, response.read()
        return sse(response)


def fenced(code: str) -> str:
    return f"Please run this:\n```python\n{code}\n```\n"


def test_a_fenced_block_runs_and_its_result_is_streamed(server: ServerHandle) -> None:
    events = ask(server, fenced("total = 5\nprint('computing')\ntotal * 3"), "demo-a")
    kinds = [e["type"] for e in events]
    assert kinds[0] == "run.started" and kinds[-1] == "run.completed"
    call = next(e for e in events if e["type"] == "tool.call")
    assert call["name"] == "run_python" and "total * 3" in call["arguments"]["code"]
    result = next(e for e in events if e["type"] == "tool.result")
    assert (result["call_id"], result["output"], result["is_error"]) == (
        call["call_id"],
        "computing\n15",
        False,
    )
    said = "".join(e["text"] for e in events if e["type"] == "message.delta")
    assert "computing\n15" in said
    assert kinds.index("tool.call") < kinds.index("tool.result") < kinds.index("run.completed")


def test_state_persists_across_turns_of_a_session(server: ServerHandle) -> None:
    ask(server, fenced("memory = ['first turn']"), "demo-b")
    events = ask(server, fenced("memory + ['second turn']"), "demo-b")
    result = next(e for e in events if e["type"] == "tool.result")
    assert result["output"] == "['first turn', 'second turn']"
    other = ask(server, fenced("memory"), "demo-c")
    assert next(e for e in other if e["type"] == "tool.result")["is_error"]


def test_an_exception_is_an_error_result(server: ServerHandle) -> None:
    events = ask(server, fenced("def f():\n    return 1 / 0\nf()"), "demo-d")
    result = next(e for e in events if e["type"] == "tool.result")
    assert result["is_error"] and "ZeroDivisionError: division by zero" in result["output"]
    assert events[-1]["type"] == "run.completed"


def test_no_block_no_sandbox(server: ServerHandle) -> None:
    events = ask(server, "hello there", "demo-e")
    assert not [e for e in events if e["type"].startswith("tool.")]
    assert "demo agent" in "".join(e["text"] for e in events if e["type"] == "message.delta")


def test_a_stuck_cell_is_cancelled_and_others_carry_on(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        started = client.post(
            "/agents/demo/runs",
            json={
                "input": fenced("marker = 1\nwhile True:\n    pass"),
                "session_id": "demo-f",
                "background": True,
            },
        )
        assert started.status_code == 202, started.text
        run_id = started.json()["run_id"]
        with client.stream("GET", f"/runs/{run_id}/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: ") and json.loads(line[6:])["type"] == "tool.call":
                    break  # the loop is now running in the sandbox
        # Another session is served while the cell spins.
        other = ask(server, fenced("6 * 7"), "demo-g")
        assert next(e for e in other if e["type"] == "tool.result")["output"] == "42"
        cancelled = client.post(f"/runs/{run_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        with client.stream("GET", f"/runs/{run_id}/events") as stream:
            assert sse(stream)[-1]["type"] == "run.cancelled"
    # The killed cell took its state with it; the session's sandbox works again.
    events = ask(server, fenced("'marker' in globals()"), "demo-f")
    assert next(e for e in events if e["type"] == "tool.result")["output"] == "False"
