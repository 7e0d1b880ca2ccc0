"""``kill -9`` of a host mid-run, then a restart on the same sqlite file: nothing reads
"running" forever. Real ``agenthost serve`` processes."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..processes import ServeProcesses
from .test_cli import ROOT


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "agenthost.toml"
    path.write_text(
        f'[store]\nbackend = "sqlite"\npath = "{tmp_path / "host.db"}"\n\n'
        '[frontends.native]\n\n'
        f'[agents.blocks]\ntarget = "{ROOT / "tests/core/agents.py"}:blocks"\n'
    )
    return path


@pytest.fixture
def serve(config: Path) -> Iterator[object]:
    servers = ServeProcesses(config)
    yield servers.start
    servers.stop_all()


def test_a_run_killed_with_its_host_reads_failed_after_a_restart(serve) -> None:  # type: ignore[no-untyped-def]
    proc, url = serve()
    with httpx.Client(base_url=url, timeout=30) as client, client.stream(
        "POST", "/agents/blocks/runs", json={"input": "go", "session_id": "s1"}
    ) as stream:
        # Read until the agent says it started: it is mid-run. Pull lines one by one (leaving
        # a for loop early would close the generator, and with it the connection: a client
        # going away, which cancels the run).
        lines = stream.iter_lines()
        while '"message.delta"' not in next(lines):
            pass
        run_id = stream.headers["x-run-id"]
        assert client.get(f"/runs/{run_id}").json()["status"] == "running"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    _, url = serve()
    with httpx.Client(base_url=url, timeout=30) as client:
        record = client.get(f"/runs/{run_id}").json()
        assert record["status"] == "failed"
        assert record["error"] == {"code": "host_stopped",
                                   "message": "host stopped during the run"}
        assert client.post(f"/runs/{run_id}/cancel").json()["status"] == "failed"
        # the session is free again: a new run on it starts (and is cancelled by the test)
        started = client.post("/agents/blocks/runs",
                              json={"input": "again", "session_id": "s1", "background": True})
        assert started.status_code == 202
        assert client.post(f"/runs/{started.json()['run_id']}/cancel").json()["status"] == (
            "cancelled"
        )
