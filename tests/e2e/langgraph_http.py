"""Helpers for the LangGraph end-to-end tests: SSE over real HTTP, and the served graphs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "langgraph_agent.py"


def sse_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    """The JSON ``data:`` payloads of an SSE response, as they arrive."""
    for line in response.iter_lines():
        if line.startswith("data:"):
            yield json.loads(line[5:].strip())


def run_native(
    client: httpx.Client, agent: str, text: str, session: str | None = None
) -> list[dict[str, Any]]:
    """POST /agents/{agent}/runs and read the SSE stream to its end."""
    body: dict[str, Any] = {"input": text}
    if session is not None:
        body["session_id"] = session
    with client.stream("POST", f"/agents/{agent}/runs", json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(sse_events(response))


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def output_text(events: list[dict[str, Any]]) -> str:
    terminal = events[-1]
    assert terminal["type"] == "run.completed", events
    return "".join(
        part.get("text", "") for message in terminal["output"] for part in message["parts"]
    )
