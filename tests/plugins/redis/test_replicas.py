"""Two (and three) real ``agenthost serve`` processes on one Redis: what one replica starts,
another reads, replays, follows, cancels; one run per session across them; a replica killed
with SIGKILL has its runs failed by another within the lease.

Agents wait at gates the test opens through Redis (tests/plugins/redis/agents.py): no sleeps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from .conftest import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[3]
LEASE = 1.5  # seconds: a lost replica's runs fail within about 1.33 leases
CONFIG = """
[host]
cancel_grace_seconds = 2
[frontends.native]
[agents.gated]
target = "tests.plugins.redis.agents:gated"
[agents.echo]
target = "tests.plugins.redis.agents:echo"
[store]
backend = "redis"
url = {{ env = "TEST_REDIS_URL" }}
prefix = "{prefix}"
lease_seconds = {lease}
"""


@dataclass
class Replica:
    url: str
    proc: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)


def spawn_replica(config: Path, redis_url: str) -> Replica:
    """``agenthost serve`` on an ephemeral port (``wait_up`` before use)."""
    port = free_port()
    env = {**os.environ, "TEST_REDIS_URL": redis_url, "GATE_REDIS_URL": redis_url,
           "AGENTHOST_LOAD_PLUGINS": "redis"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agenthost.cli", "serve", str(config), "--port", str(port)],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
    )
    return Replica(f"http://127.0.0.1:{port}", proc)


def wait_up(replica: Replica) -> Replica:
    """Read the replica's log until uvicorn says it is up (ends if the process exits)."""
    stderr = replica.proc.stderr
    assert stderr is not None
    for line in stderr:
        replica.log.append(line)
        if "Uvicorn running on" in line:
            # Keep draining its log so the server never blocks on a full pipe.
            threading.Thread(target=lambda: replica.log.extend(stderr), daemon=True).start()
            return replica
    raise AssertionError(f"replica exited with {replica.proc.wait()}:\n{''.join(replica.log)}")


def start_replica(config: Path, redis_url: str) -> Replica:
    return wait_up(spawn_replica(config, redis_url))


def stop(replica: Replica) -> None:
    if replica.proc.poll() is None:
        replica.proc.terminate()
        try:
            replica.proc.wait(20)
        except subprocess.TimeoutExpired:
            replica.proc.kill()
            replica.proc.wait(20)


@dataclass
class Cluster:
    a: Replica
    b: Replica
    config: Path
    redis_url: str
    gates: redis.Redis

    def wait_entered(self, gate: str) -> None:
        """Until the agent runs (bounded: 20 s)."""
        assert self.gates.blpop([f"gate:{gate}:entered"], timeout=20) is not None, gate

    def open(self, gate: str) -> None:
        self.gates.rpush(f"gate:{gate}:open", "1")


@pytest.fixture(scope="module")
def cluster(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    config = tmp_path_factory.mktemp("replicas") / "agenthost.toml"
    config.write_text(CONFIG.format(prefix=f"t{uuid.uuid4().hex[:8]}:", lease=LEASE))
    a, b = spawn_replica(config, redis_server.url), spawn_replica(config, redis_server.url)
    gates = redis.Redis.from_url(redis_server.url)
    try:
        wait_up(a)
        wait_up(b)
        yield Cluster(a, b, config, redis_server.url, gates)
    finally:
        gates.close()
        stop(a)
        stop(b)


def start_background(url: str, agent: str, text: str, session: str) -> dict[str, Any]:
    reply = httpx.post(f"{url}/agents/{agent}/runs", timeout=30, json={
        "input": text, "session_id": session, "background": True})
    assert reply.status_code == 202, reply.text
    return dict(reply.json())


def events(url: str, run_id: str, after: int = -1, until: Any = None) -> list[dict[str, Any]]:
    """Read ``/runs/{id}/events`` to the terminal event; ``until(events)`` is called on each
    batch (the test acts there, e.g. opens the gate). Bounded: 30 s without a byte fails."""
    seen: list[dict[str, Any]] = []
    with httpx.stream("GET", f"{url}/runs/{run_id}/events", params={"after": after},
                      timeout=30) as reply:
        assert reply.status_code == 200, reply.read()
        for line in reply.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
                if until is not None:
                    until(seen)
    return seen


def test_a_run_started_on_a_is_read_replayed_and_followed_from_b(cluster: Cluster) -> None:
    gate, session = f"g{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"
    run = start_background(cluster.a.url, "gated", gate, session)
    cluster.wait_entered(gate)
    record = httpx.get(f"{cluster.b.url}/runs/{run['run_id']}", timeout=30).json()
    assert record["status"] == "running" and record["session_id"] == session

    opened: list[bool] = []

    def open_once_waiting(seen: list[dict[str, Any]]) -> None:
        if not opened and any(e.get("text") == "waiting " for e in seen):
            opened.append(True)
            cluster.open(gate)  # B is following live: the rest arrives through Redis

    followed = events(cluster.b.url, run["run_id"], until=open_once_waiting)
    assert opened
    assert [e["seq"] for e in followed] == list(range(len(followed)))
    assert followed[0]["type"] == "run.started" and followed[-1]["type"] == "run.completed"
    assert "".join(e.get("text", "") for e in followed if e["type"] == "message.delta") == (
        "waiting opened")
    on_a = events(cluster.a.url, run["run_id"])
    assert on_a == followed  # the owner's memory and the stream agree
    replay = events(cluster.b.url, run["run_id"], after=1)
    assert replay == followed[2:]
    final = httpx.get(f"{cluster.b.url}/runs/{run['run_id']}", timeout=30).json()
    assert final["status"] == "completed"
    assert final["output"][0]["parts"][0]["text"] == "waiting opened"


def test_cancel_from_b_stops_the_agent_on_a(cluster: Cluster) -> None:
    gate, session = f"g{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"
    run = start_background(cluster.a.url, "gated", gate, session)
    cluster.wait_entered(gate)
    reply = httpx.post(f"{cluster.b.url}/runs/{run['run_id']}/cancel", timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "cancelled"  # said only once the run ended on A
    assert cluster.gates.llen(f"gate:{gate}:cancelled") == 1  # the agent's wait was stopped
    assert httpx.get(f"{cluster.a.url}/runs/{run['run_id']}",
                     timeout=30).json()["status"] == "cancelled"
    assert events(cluster.b.url, run["run_id"])[-1]["type"] == "run.cancelled"
    missing = httpx.post(f"{cluster.b.url}/runs/r_nope/cancel", timeout=30)
    assert missing.status_code == 404


def test_one_run_per_session_across_replicas(cluster: Cluster) -> None:
    gate, session = f"g{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"
    run = start_background(cluster.a.url, "gated", gate, session)
    cluster.wait_entered(gate)
    busy = httpx.post(f"{cluster.b.url}/agents/echo/runs", timeout=30, json={
        "input": "hello", "session_id": session, "stream": False})
    assert busy.status_code == 409, busy.text
    assert run["run_id"] in busy.text
    other = httpx.post(f"{cluster.b.url}/agents/echo/runs", timeout=30, json={
        "input": "hello", "session_id": session + "-other", "stream": False})
    assert other.status_code == 200  # another session is free
    cluster.open(gate)
    assert events(cluster.b.url, run["run_id"])[-1]["type"] == "run.completed"
    # The lease is given up after the record is stored and before the stream says "end",
    # so once B has read the end, the session is free on every replica.
    again = httpx.post(f"{cluster.b.url}/agents/echo/runs", timeout=30, json={
        "input": "after", "session_id": session, "stream": False})
    assert again.status_code == 200, again.text
    assert again.json()["run"]["status"] == "completed"


def test_a_killed_replica_has_its_runs_failed_by_another_within_the_lease(
    cluster: Cluster,
) -> None:
    c = start_replica(cluster.config, cluster.redis_url)
    try:
        gate, session = f"g{uuid.uuid4().hex[:8]}", f"s{uuid.uuid4().hex[:8]}"
        run = start_background(c.url, "gated", gate, session)
        cluster.wait_entered(gate)
        os.kill(c.proc.pid, signal.SIGKILL)
        c.proc.wait(20)
        killed_at = time.monotonic()
        followed = events(cluster.b.url, run["run_id"])
        elapsed = time.monotonic() - killed_at
        assert followed[-1]["type"] == "run.failed"
        assert followed[-1]["code"] == "replica_lost"
        assert elapsed < LEASE * 4 / 3 + 1.5, elapsed  # lease + one check interval + slack
        record = httpx.get(f"{cluster.b.url}/runs/{run['run_id']}", timeout=30).json()
        assert record["status"] == "failed" and record["error"]["code"] == "replica_lost"
        assert "replica lost" in record["error"]["message"]
        free = httpx.post(f"{cluster.a.url}/agents/echo/runs", timeout=30, json={
            "input": "next", "session_id": session, "stream": False})
        assert free.status_code == 200, free.text  # its session lease went with it
    finally:
        stop(c)
