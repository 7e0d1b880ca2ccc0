"""With the sqlite store, a restart loses nothing that completed (the store conformance
suite runs on sqlite in test_store_suite.py)."""

from pathlib import Path

import httpx

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import running_server

from .agents import echo, remembers


def make_app(db: Path) -> AgentApp:
    app = AgentApp(parse_config({"store": {"backend": "sqlite", "path": str(db)}}))
    app.agent("echo")(echo)
    app.agent("remembers")(remembers)
    return app


def test_runs_and_sessions_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "agenthost.db"
    with running_server(make_app(db)) as server:
        body = httpx.post(f"{server.url}/agents/echo/runs", timeout=30, json={
            "input": "kept across restarts", "session_id": "s-persist", "stream": False}).json()
    run_id = body["run"]["run_id"]
    with running_server(make_app(db)) as server:
        record = httpx.get(f"{server.url}/runs/{run_id}").json()
        assert record["status"] == "completed"
        assert record["output"][0]["parts"][0]["text"] == "kept across restarts "
        gone = httpx.get(f"{server.url}/runs/{run_id}/events")
        assert gone.status_code == 410  # events are not persisted; the record is
        again = httpx.post(f"{server.url}/agents/remembers/runs", timeout=30, json={
            "input": "?", "session_id": "s-persist", "stream": False}).json()
        text = again["run"]["output"][0]["parts"][0]["text"]
        assert text == "history=2 last=kept across restarts "

