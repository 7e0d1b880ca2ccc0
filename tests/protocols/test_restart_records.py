"""``kill -9`` of a host mid-run with the sqlite store, then a restart: a background response
and an A2A task left in flight read ``failed``, not unknown or ``working`` forever. Real
``agenthost serve`` processes, the official openai client, raw A2A 1.0 JSON-RPC."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests.core.test_cli import ROOT
from tests.processes import ServeProcesses

A2A = {"A2A-Version": "1.0"}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    config = tmp_path / "agenthost.toml"
    config.write_text(
        f'[store]\nbackend = "sqlite"\npath = "{tmp_path / "host.db"}"\n\n'
        "[frontends.native]\n[frontends.responses]\n[frontends.a2a]\n\n"
        f'[agents.blocks]\ntarget = "{ROOT / "tests/core/agents.py"}:blocks"\n'
    )
    servers = ServeProcesses(config)
    yield servers.start
    servers.stop_all()


def rpc(url: str, method: str, params: dict[str, Any]) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    answer = httpx.post(f"{url}/a2a/blocks", json=body, headers=A2A, timeout=30).json()
    assert "result" in answer, answer
    result: dict[str, Any] = answer["result"]
    return result


def test_a_killed_hosts_background_response_and_a2a_task_read_failed(serve: Any) -> None:
    proc, url = serve()
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    response = client.responses.create(model="blocks", input="go", background=True)
    assert response.status in ("queued", "in_progress")
    sent = rpc(url, "SendMessage", {
        "message": {"messageId": "m-1", "role": "ROLE_USER", "parts": [{"text": "go"}]},
        "configuration": {"returnImmediately": True},
    })
    task_id = sent["task"]["id"]
    # Both runs are under way (their records say running) when the host dies.
    assert httpx.get(f"{url}/runs/{response.id}").json()["status"] == "running"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)

    _, url = serve()
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
    again = client.responses.retrieve(response.id)
    assert again.status == "failed"
    assert again.error is not None and "host stopped" in again.error.message
    task = rpc(url, "GetTask", {"id": task_id})
    assert task["status"]["state"] == "TASK_STATE_FAILED"
    assert "host stopped" in task["status"]["message"]["parts"][0]["text"]
