"""An AgentScope 2 agent served by agenthost and by AgentScope 2's own app (``create_app``).

    bash bench/setup_peers.sh                  # once: wrk, the peers' venvs
    uv run python bench/agentscope2.py --runs 3 --quiet

Both serve bench/agents_agentscope.py: an AgentScope ``Agent`` on agenthost_agentscope's
scripted model that calls one tool, then streams 20 tokens; both keep their sessions in a
sqlite file (agenthost ``[store] backend = "sqlite"``, the app ``AsyncSQLAlchemyStorage``),
or with ``--store redis`` in one redis-server (agenthost-redis, the app's ``RedisStorage``).
The app (bench/peers/agentscope2_app.py, in bench/.venvs/agentscope-app) needs three requests
per run (a session, its SSE subscription, the chat trigger), which wrk cannot make, so
bench/pyload.py drives it, and drives agenthost's native SSE too for the comparison under
the same client; agenthost under wrk is there for scale with the other benchmarks.
bench/inprocess.py runs the same agent in a loop without HTTP: AgentScope's ceiling.
Target (issue 15): >= 1.5x the app's req/s, p99 no worse.
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness
from harness import AGENT_NAME, BENCH, BenchError, Ceiling, Comparison, ServerSpec, Target

WRK = "agenthost POST /agents/{name}/runs (SSE), wrk"
NATIVE = "agenthost POST /agents/{name}/runs (SSE), pyload"
APP = "AgentScope app sessions + stream + chat, pyload"
CEILING = "AgentScope in-process (reply_stream)"
APP_VENV = BENCH / ".venvs" / "agentscope-app"
DATA = Path(tempfile.mkdtemp(prefix="bench-agentscope2-"))  # each server's sqlite file
atexit.register(shutil.rmtree, DATA, True)
SQLITE = f'[store]\nbackend = "sqlite"\npath = "{DATA}/agenthost-{{port}}.db"\n'


def check_native(raw: bytes) -> None:
    events = [data for _, data in harness.sse_events(raw)]
    kinds = [e["type"] for e in events]
    if "tool.result" not in kinds or kinds[-1] != "run.completed":
        raise BenchError(f"{WRK}: events {kinds}")
    harness.expect_tokens([e["text"] for e in events if e["type"] == "message.delta"], WRK)


def options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        choices=["sqlite", "redis"],
        default="sqlite",
        help="both sides' sessions: a sqlite file each (default), or one redis-server this "
        "script starts on a free loopback port (agenthost-redis db 0, the app's RedisStorage db 1)",
    )


def start_redis() -> str:
    """A throwaway redis-server on loopback (no persistence), stopped at exit; host:port."""
    redis = shutil.which("redis-server")
    if redis is None:
        raise BenchError("redis-server is not installed: run bench/setup_peers.sh first")
    port = harness.free_port()
    proc = subprocess.Popen(
        [redis, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    atexit.register(proc.terminate)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with harness.socket.create_connection(("127.0.0.1", port), timeout=1):
                return f"127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)  # bounded by the deadline
    raise BenchError(f"redis-server did not listen on {port}")


def app_spec(quiet: bool, redis: str | None) -> ServerSpec:
    python = APP_VENV / "bin" / "python"
    if not python.exists():
        raise BenchError(f"{python} is missing: run bench/setup_peers.sh first")

    def argv(port: int) -> list[str]:
        cmd = [str(python), str(BENCH / "peers" / "agentscope2_app.py"), "--port", str(port)]
        return [*cmd, *(["--quiet"] if quiet else []), *(["--redis", redis] if redis else [])]

    return ServerSpec("agentscope-app", argv, "/health", ready_headers={"X-User-ID": "bench"})


def build(args: argparse.Namespace) -> tuple[list, list, list]:
    pyload = [sys.executable, str(BENCH / "pyload.py")]
    body = json.dumps({"input": "hi", "session_id": "{{SID}}"})
    path = f"/agents/{AGENT_NAME}/runs"
    targets = [
        Target(WRK, "agenthost", path, body,
               [harness.FULL_TEXT, '"tool.result"', '"type":"run.completed"'], check_native,
               ceiling=CEILING),
        Target(NATIVE, "agenthost", path, body, [], check_native, ceiling=CEILING,
               driver=[*pyload, "native"]),
        Target(APP, "agentscope-app", "/chat/", "", [], check_native, ceiling=CEILING,
               driver=[*pyload, "agentscope-app"]),
    ]  # fmt: skip
    redis = start_redis() if args.store == "redis" else None
    store = f'[store]\nbackend = "redis"\nurl = "redis://{redis}/0"\n' if redis else SQLITE
    agenthost = harness.agenthost_spec(
        quiet=args.quiet,
        plugins=["agentscope", *(["redis"] if redis else [])],
        target="bench/agents_agentscope.py:agent",
        config=store,
    )
    comparisons = [Comparison(NATIVE, APP, min_rps_ratio=1.5, max_p99_ratio=1.0)]
    app = app_spec(args.quiet, f"{redis}/1" if redis else None)
    return [agenthost, app], targets, comparisons


def ceilings(args: argparse.Namespace) -> list[Ceiling]:
    return [Ceiling(CEILING, [sys.executable, str(BENCH / "inprocess.py"), "agentscope"])]


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build, ceilings=ceilings, options=options))
