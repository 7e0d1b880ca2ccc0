"""Redis down at start: the host does not start. Redis lost while serving: /readyz fails; Redis
back: ready again, and a run that was in flight finishes and is stored."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from agenthost.app import AgentApp
from agenthost.config import Config, parse_config
from agenthost.host import Host
from agenthost.testing.server import running_server
from agenthost_redis.store import RedisUnreachable

from .conftest import RedisServer, free_port


def config(url: str) -> Config:
    return parse_config({
        "frontends": {"native": {}},
        "agents": {"gated": {"target": "tests.plugins.redis.agents:gated"}},
        "store": {"backend": "redis", "url": url, "prefix": f"t{uuid.uuid4().hex[:8]}:",
                  "lease_seconds": 1.5, "connect_timeout": 2},
    }, "<test>")


@pytest.fixture(autouse=True)
def redis_plugin_only(monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer) -> None:
    monkeypatch.setenv("AGENTHOST_LOAD_PLUGINS", "redis")
    monkeypatch.setenv("GATE_REDIS_URL", redis_server.url)  # gates live on the session Redis


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, to stop and start again."""
    server = RedisServer(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


async def test_redis_unreachable_at_start_refuses_to_start() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    host = Host(config(url))
    with pytest.raises(RedisUnreachable) as info:
        await host.startup()
    assert f"cannot reach Redis at {url}" in str(info.value)
    assert "start Redis or fix [store] url" in str(info.value)
    assert host.ready is False


def test_redis_lost_fails_readiness_and_a_run_in_flight_survives_a_restart(
    own_redis: RedisServer, redis_server: RedisServer
) -> None:
    gates = redis.Redis.from_url(redis_server.url)
    gate = f"g{uuid.uuid4().hex[:8]}"
    try:
        with running_server(AgentApp(config(own_redis.url))) as server:
            ready = httpx.get(f"{server.url}/readyz", timeout=30).json()
            assert ready["store"] == {"backend": "redis", "status": "ready"}
            run = httpx.post(f"{server.url}/agents/gated/runs", timeout=30, json={
                "input": gate, "session_id": "s1", "background": True}).json()
            assert gates.blpop([f"gate:{gate}:entered"], timeout=20) is not None

            own_redis.stop()
            lost = httpx.get(f"{server.url}/readyz", timeout=30)
            assert lost.status_code == 503
            assert lost.json()["store"]["status"] == "failed"
            assert any(r.startswith("store (redis)") for r in lost.json()["reasons"])

            own_redis.start()  # same port, empty: nothing was persisted
            back = httpx.get(f"{server.url}/readyz", timeout=30)
            assert back.json()["store"]["status"] == "ready", back.json()
            gates.rpush(f"gate:{gate}:open", "1")
            with httpx.stream("GET", f"{server.url}/runs/{run['run_id']}/events",
                              timeout=30) as reply:
                last = [line for line in reply.iter_lines() if line.startswith("data: ")][-1]
            assert '"type":"run.completed"' in last.replace(" ", "")
            record = httpx.get(f"{server.url}/runs/{run['run_id']}", timeout=30).json()
            assert record["status"] == "completed"  # stored again once Redis came back
            stored = redis.Redis.from_url(own_redis.url)
            assert stored.exists(f"{server.app.host.store.prefix}run:{run['run_id']}")
            stored.close()
    finally:
        gates.close()
