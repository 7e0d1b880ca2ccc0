"""The native frontend over real HTTP (uvicorn on an ephemeral port, httpx as the client)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .agents import Gate, boom, echo, returns_value, slow_agent, sync_upper, tokens


def sse_events(response: httpx.Response) -> Iterator[dict[str, Any]]:
    for line in response.iter_lines():
        if line.startswith("data: "):
            yield json.loads(line[6:])


def post_run(client: httpx.Client, agent: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    with client.stream("POST", f"/agents/{agent}/runs", json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return list(sse_events(response))


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def server(gate: Gate) -> Iterator[ServerHandle]:
    app = AgentApp(parse_config({"host": {"max_body_bytes": 2048}}))
    for name, fn in [("echo", echo), ("tokens", tokens), ("boom", boom),
                     ("upper", sync_upper), ("value", returns_value),
                     ("slow", slow_agent(gate))]:
        app.agent(name)(fn)
    with running_server(app) as handle:
        yield handle


@pytest.fixture
def client(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def wait_for(server: ServerHandle, event: Any) -> None:
    server.call(event.wait())


def test_health_and_agent_listing(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    agents = {a["name"]: a for a in client.get("/agents").json()["agents"]}
    assert set(agents) == {"echo", "tokens", "boom", "upper", "value", "slow"}
    assert agents["echo"]["description"] == "Echoes the text back, word by word."
    assert client.get("/agents/echo").json()["framework"] == "python"


def test_streamed_run_and_json_run(client: httpx.Client) -> None:
    events = post_run(client, "echo", {"input": "hello big world", "session_id": "s1"})
    assert [e["type"] for e in events] == ["run.started"] + ["message.delta"] * 3 + [
        "message.completed", "run.completed"]
    assert events[0]["session_id"] == "s1"
    assert events[-1]["output"][0]["parts"][0]["text"] == "hello big world "
    body = client.post("/agents/upper/runs", json={"input": "quiet", "stream": False}).json()
    assert body["run"]["status"] == "completed"
    assert body["run"]["output"][0]["parts"] == [{"type": "text", "text": "QUIET"}]
    assert body["events"][-1]["type"] == "run.completed"
    body = client.post("/agents/value/runs", json={
        "messages": [{"role": "user", "parts": [{"type": "text", "text": "x"}]}],
        "stream": False}).json()
    assert body["run"]["output"][0]["parts"][0]["text"] == "got x"


def test_get_run_and_replay_events_after_a_seq(client: httpx.Client) -> None:
    events = post_run(client, "tokens", {"input": "go"})
    run_id = events[0]["run_id"]
    record = client.get(f"/runs/{run_id}").json()
    assert record["status"] == "completed" and record["usage"]["output_tokens"] == 20
    with client.stream("GET", f"/runs/{run_id}/events", params={"after": 10}) as response:
        replay = list(sse_events(response))
    assert replay == events[11:]
    with client.stream("GET", f"/runs/{run_id}/events",
                       headers={"Last-Event-ID": "20"}) as response:
        assert list(sse_events(response)) == events[21:]


def test_background_run_followed_then_cancelled_by_request(
    client: httpx.Client, server: ServerHandle, gate: Gate
) -> None:
    started = client.post("/agents/slow/runs", json={"input": "x", "background": True})
    assert started.status_code == 202
    run_id = started.json()["run_id"]
    wait_for(server, gate.entered)
    seen: list[dict[str, Any]] = []

    def follow() -> None:
        with httpx.stream("GET", f"{server.url}/runs/{run_id}/events", timeout=30) as r:
            seen.extend(sse_events(r))

    follower = threading.Thread(target=follow)
    follower.start()
    cancelled = client.post(f"/runs/{run_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    follower.join(30)
    assert seen[-1]["type"] == "run.cancelled"
    assert gate.cancelled and not gate.after_release


def test_client_disconnect_cancels_the_run(
    client: httpx.Client, server: ServerHandle, gate: Gate
) -> None:
    with client.stream("POST", "/agents/slow/runs", json={"input": "x"}) as response:
        for event in sse_events(response):
            if event["type"] == "tool.call":
                run_id = event["run_id"]
                break
    # the connection is closed here, mid-run
    record = server.call(server.app.host.runs.get(run_id).wait())
    assert record.status == "cancelled"
    assert gate.cancelled and not gate.after_release


def test_agent_failure_is_a_terminal_event_and_the_server_keeps_serving(
    client: httpx.Client,
) -> None:
    events = post_run(client, "boom", {"input": "x"})
    assert events[-1]["type"] == "run.failed"
    assert events[-1]["code"] == "ValueError"
    assert events[-1]["message"] == "the agent broke on purpose"
    assert post_run(client, "echo", {"input": "still here"})[-1]["type"] == "run.completed"


def test_busy_session_is_refused_with_409(
    client: httpx.Client, server: ServerHandle, gate: Gate
) -> None:
    client.post("/agents/slow/runs", json={"input": "x", "session_id": "busy",
                                           "background": True})
    wait_for(server, gate.entered)
    response = client.post("/agents/echo/runs", json={"input": "y", "session_id": "busy"})
    assert response.status_code == 409
    assert "session 'busy' already has an active run" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "needle"),
    [
        ("POST", "/agents/echo/runs", {"content": b"{not json", "headers": {
            "content-type": "application/json"}}, 400, "not valid JSON"),
        ("POST", "/agents/echo/runs", {"content": b"input=x", "headers": {
            "content-type": "application/x-www-form-urlencoded"}}, 415, "content type"),
        ("POST", "/agents/nobody/runs", {"json": {"input": "x"}}, 404, "no agent named 'nobody'"),
        ("POST", "/agents/echo/runs", {"json": {"input": "x" * 4000}}, 413, "larger than"),
        ("POST", "/agents/echo/runs", {"json": {"inptu": "x"}}, 400, "inptu: unknown parameter"),
        ("POST", "/agents/echo/runs", {"json": {}}, 400, "give 'messages'"),
        ("POST", "/agents/echo/runs", {"json": [1, 2]}, 400, "JSON object"),
        ("POST", "/agents/echo/runs", {"json": {"messages": [{"role": "robot", "parts": []}]}},
         400, "messages.0.role"),
        ("GET", "/runs/r_missing", {}, 404, "no run with id 'r_missing'"),
        ("GET", "/runs/r_missing/events", {}, 404, "no run with id"),
        ("GET", "/runs/r_missing/events?after=abc", {}, 400, "not an integer"),
        ("POST", "/runs/r_missing/cancel", {}, 404, "no run with id"),
        ("GET", "/nowhere", {}, 404, "no route for GET /nowhere"),
        ("DELETE", "/agents", {}, 405, "not allowed"),
    ],
)
def test_bad_input_gets_a_4xx_naming_the_problem(
    client: httpx.Client, method: str, path: str, kwargs: dict[str, Any], status: int,
    needle: str,
) -> None:
    response = client.request(method, path, **kwargs)
    assert response.status_code == status
    assert needle in response.json()["error"]["message"]


def test_chunked_body_over_the_limit_is_refused(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"input": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    response = client.post("/agents/echo/runs", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_api_keys_are_required_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTHOST_TEST_KEY", "sekret")
    app = AgentApp(parse_config({"host": {"api_keys": [{"env": "AGENTHOST_TEST_KEY"}]}}))
    app.agent("echo")(echo)
    with running_server(app) as server, httpx.Client(base_url=server.url) as c:
        assert c.get("/agents").status_code == 401
        assert c.get("/agents", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/agents", headers={"Authorization": "Bearer sekret"}).status_code == 200
        assert c.get("/healthz").status_code == 200  # probes need no key


def test_client_hanging_up_on_a_json_run_cancels_it(server: ServerHandle, gate: Gate) -> None:
    """The test hangs up itself, on a raw socket, once the agent is inside the run (held by
    the gate): no client timeout decides when."""
    body = json.dumps({"input": "x", "stream": False, "session_id": "hangup"}).encode()
    address = httpx.URL(server.url)
    with socket.create_connection((address.host, address.port), timeout=30) as client:
        client.sendall(
            b"POST /agents/slow/runs HTTP/1.1\r\nHost: test\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        wait_for(server, gate.entered)
    # the connection is closed here, while the run waits at the gate
    run = server.app.host.runs.session_run("hangup")
    assert run is not None
    assert server.call(run.wait()).status == "cancelled"
    assert gate.cancelled and not gate.after_release
