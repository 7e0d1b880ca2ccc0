"""A Python load client for servers wrk cannot drive, and for the same servers wrk can.

    uv run python bench/pyload.py native URL --duration 10 --connections 16
    uv run python bench/pyload.py agentscope-app URL --duration 10 --connections 16

wrk sends one request per run. AgentScope 2's app (bench/peers/agentscope2_app.py) needs
three per run: ``POST /sessions/`` (a new session), ``GET /sessions/{id}/stream`` (its SSE
subscription, which never ends by itself) and, once subscribed, ``POST /chat/``; the run is
over when ``REPLY_END`` arrives, and the client then closes the stream. This client runs
``--connections`` such runs at a time for ``--duration`` seconds (one httpx client, up to
2 x connections sockets) and checks every answer: the tool's result, exactly 20 text deltas
making the whole answer, the run's end. ``native`` does the same with agenthost's one request
(``POST /agents/tokens20/runs``, a new session each), so both sides can be set side by side
under the same client. Latency is from the run's first request to its last event. It prints
``WRKJSON {...}`` in wrk's shape (bench/lua/post.lua) for bench/harness.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/
from agents import FULL_TEXT, TOOL_RESULT

USER = {"X-User-ID": "bench"}
Run = Callable[[httpx.AsyncClient], Awaitable[None]]


class BadAnswer(Exception):
    pass


def _events(lines: list[str]) -> list[dict]:
    return [json.loads(ln[5:]) for ln in lines if ln.startswith("data:") and ln[5:].strip()]


async def native(client: httpx.AsyncClient) -> Run:
    async def run(c: httpx.AsyncClient) -> None:
        body = {"input": "hi", "session_id": f"py-{uuid.uuid4().hex}"}
        async with c.stream("POST", "/agents/tokens20/runs", json=body) as response:
            if response.status_code != 200:
                raise BadAnswer(f"status {response.status_code}")
            events = _events([ln async for ln in response.aiter_lines()])
        text = "".join(e["text"] for e in events if e["type"] == "message.delta")
        results = [e["output"] for e in events if e["type"] == "tool.result"]
        if text != FULL_TEXT or results != [TOOL_RESULT] or events[-1]["type"] != "run.completed":
            raise BadAnswer(f"{[e['type'] for e in events]} {text!r}")

    return run


async def agentscope_app(client: httpx.AsyncClient) -> Run:
    """Create the credential and the agent once; each run then makes a session of its own.

    Sessions are named when created, as a client that names them does: an unnamed one has
    the model title it after its first reply (a second model call, which the scripted model
    cannot answer: AgentScope then logs a warning and keeps an excerpt as the name)."""
    r = await client.post("/credential/", json={"data": {"type": "bench_scripted"}}, headers=USER)
    r.raise_for_status()
    model = {"type": "bench_scripted", "credential_id": r.json()["credential_id"],
             "model": "scripted", "parameters": {}}  # fmt: skip
    r = await client.post("/agent/", json={"name": "tokens20", "system_prompt": "You answer."},
                          headers=USER)  # fmt: skip
    r.raise_for_status()
    agent_id = r.json()["agent_id"]
    message = {"name": "user", "role": "user", "content": [{"type": "text", "text": "hi"}]}

    async def run(c: httpx.AsyncClient) -> None:
        session = {"agent_id": agent_id, "name": "bench", "chat_model_config": model}
        r = await c.post("/sessions/", json=session, headers=USER)
        if r.status_code != 201:
            raise BadAnswer(f"POST /sessions/: {r.status_code} {r.text[:200]}")
        session = r.json()["session_id"]
        path = f"/sessions/{session}/stream"
        events: list[dict] = []
        async with c.stream("GET", path, params={"agent_id": agent_id}, headers=USER) as stream:
            if stream.status_code != 200:
                raise BadAnswer(f"GET {path}: {stream.status_code}")
            chat = {"agent_id": agent_id, "session_id": session, "input": message}
            r = await c.post("/chat/", json=chat, headers=USER)
            if r.status_code != 200:
                raise BadAnswer(f"POST /chat/: {r.status_code} {r.text[:200]}")
            async for line in stream.aiter_lines():
                if line.startswith("data:") and line[5:].strip():
                    events.append(json.loads(line[5:]))
                    if events[-1].get("type") == "REPLY_END":
                        break
        text = "".join(e["delta"] for e in events if e["type"] == "TEXT_BLOCK_DELTA")
        tool = "".join(e["delta"] for e in events if e["type"] == "TOOL_RESULT_TEXT_DELTA")
        end = events[-1] if events else {}
        if text != FULL_TEXT or tool != TOOL_RESULT or end.get("finished_reason") != "completed":
            raise BadAnswer(f"{[e['type'] for e in events]} {text!r} {end}")

    return run


MODES: dict[str, Callable[[httpx.AsyncClient], Awaitable[Run]]] = {
    "native": native,
    "agentscope-app": agentscope_app,
}


async def load(mode: str, url: str, duration: float, connections: int) -> dict:
    limits = httpx.Limits(
        max_connections=2 * connections, max_keepalive_connections=2 * connections
    )
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        run = await MODES[mode](client)
        await run(client)  # the sample: raises unless the whole answer comes
        latencies: list[float] = []
        errors = bad = 0
        sample = ""
        end = time.perf_counter() + duration

        async def worker() -> None:
            nonlocal errors, bad, sample
            while time.perf_counter() < end:
                start = time.perf_counter()
                try:
                    await run(client)
                except BadAnswer as exc:
                    bad += 1
                    sample = sample or str(exc)[:300]
                    continue
                except httpx.HTTPError as exc:
                    errors += 1
                    sample = sample or repr(exc)[:300]
                    continue
                latencies.append(time.perf_counter() - start)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        seconds = time.perf_counter() - start
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> int:
        return int(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1e6)

    return {
        "requests": len(latencies) + bad, "duration_us": int(seconds * 1e6), "bytes": 0,
        "connect_errors": 0, "read_errors": errors, "write_errors": 0, "status_errors": 0,
        "timeouts": 0, "bad": bad, "p50_us": pct(0.5), "p90_us": pct(0.9), "p99_us": pct(0.99),
        "mean_us": statistics.fmean(ordered) * 1e6, "max_us": int(ordered[-1] * 1e6),
        "bad_sample": sample,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("url")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    result = asyncio.run(load(args.mode, args.url, args.duration, args.connections))
    print("WRKJSON " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
