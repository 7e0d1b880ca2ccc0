"""``/readyz`` tells the truth about every sandbox profile an agent uses, the store and the
frontends, and sandbox profiles start only when used: a real server on an ephemeral port,
real bwrap, a real Docker client aimed at a port where no engine answers."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.context import RunContext
from agenthost.events import RunInput
from agenthost.testing.server import ServerHandle, running_server

from .conftest import NO_BWRAP


async def echo(input: RunInput) -> AsyncIterator[str]:
    """Never touches a sandbox."""
    yield input.text


async def coder(input: RunInput, ctx: RunContext) -> AsyncIterator[str]:
    """Runs the message as Python in the session's sandbox."""
    result = await (await ctx.sandbox()).run_python(input.text)
    yield result.value or result.text()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the block ends: nothing listens there


def serve(sandboxes: dict[str, Any], agents: dict[str, tuple[Any, str]]) -> Any:
    config = {"sandboxes": sandboxes, "frontends": {"native": {}}}
    app = AgentApp(parse_config(config, "agenthost.toml"))
    for name, (fn, profile) in agents.items():
        app.agent(name, sandbox=profile)(fn)
    return running_server(app)


def readyz(server: ServerHandle) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{server.url}/readyz", timeout=30)
    return response.status_code, response.json()


def describe(server: ServerHandle) -> dict[str, Any]:
    return dict(server.app.host.sandboxes.describe())


@pytest.fixture
def no_bwrap(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server runs in this process: the variable reaches its local backend."""
    for key, value in NO_BWRAP.items():
        monkeypatch.setenv(key, value)
    yield


def test_readyz_reports_each_profile_the_store_and_the_frontends(bwrap_works: None) -> None:
    tables = {"box": {"backend": "local", "pool": 1}, "spare": {"backend": "local"}}
    with serve(tables, {"echo": (echo, "box")}) as server:
        status, body = readyz(server)
        assert status == 200, body
        assert (body["status"], body["reasons"]) == ("ready", [])
        assert body["store"] == {"backend": "memory", "status": "ready"}
        assert body["frontends"]["native"]["status"] == "serving"
        box = body["sandboxes"]["box"]
        assert box["status"] == "ready" and box["isolation"].startswith("bubblewrap (")
        assert body["sandboxes"]["spare"]["status"] == "unused"
        assert body["sandboxes"]["default"]["status"] == "unused"
        # The check prepared the backend but spawned no executor, and left the others alone.
        assert describe(server)["box"]["live"] == 0
        assert describe(server)["spare"]["started"] is False
        assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}


def test_a_profile_that_cannot_start_makes_readyz_503_with_the_reason(no_bwrap: None) -> None:
    with serve({"box": {"backend": "local"}}, {"coder": (coder, "box")}) as server:
        status, body = readyz(server)
        assert status == 503 and body["status"] == "not ready"
        assert body["sandboxes"]["box"]["status"] == "failed"
        [reason] = body["reasons"]
        assert reason.startswith("sandbox profile 'box': sandbox profile 'box' ([sandboxes.box])")
        assert "bwrap is not installed" in reason and 'isolation = "none"' in reason
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # liveness only


def test_an_optional_profile_that_cannot_start_reads_degraded(no_bwrap: None) -> None:
    tables = {"box": {"backend": "local", "optional": True}}
    with serve(tables, {"coder": (coder, "box")}) as server:
        status, body = readyz(server)
        assert status == 200 and body["status"] == "degraded"
        assert body["reasons"][0].startswith("sandbox profile 'box' (optional): ")


def test_a_docker_profile_with_no_engine_answering_is_not_ready() -> None:
    tables = {"ship": {"backend": "docker", "docker_host": f"tcp://127.0.0.1:{closed_port()}"}}
    with serve(tables, {"coder": (coder, "ship")}) as server:
        status, body = readyz(server)
        assert status == 503, body
        assert body["sandboxes"]["ship"]["status"] == "failed"
        assert "no Docker engine answers at tcp://127.0.0.1:" in body["reasons"][0]


def test_an_agent_that_never_uses_a_sandbox_spawns_no_executor(bwrap_works: None) -> None:
    tables = {"default": {"backend": "local", "pool": 2}}
    with serve(tables, {"echo": (echo, "default"), "coder": (coder, "default")}) as server:
        done = httpx.post(f"{server.url}/agents/echo/runs", json={"input": "hi", "stream": False})
        assert done.json()["run"]["status"] == "completed"
        assert describe(server)["default"]["started"] is False  # nothing started at all
        ran = httpx.post(
            f"{server.url}/agents/coder/runs",
            json={"input": "6 * 7", "stream": False, "session_id": "s1"},
            timeout=60,
        ).json()
        assert ran["run"]["output"][0]["parts"][0]["text"] == "42"
        # First use started the profile; its pool fills behind the session's sandbox.
        profile = describe(server)["default"]
        assert profile["started"] is True and profile["sessions"] == 1
