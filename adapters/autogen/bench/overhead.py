"""agenthost's overhead on an AutoGen agent, and the cost of restoring a session's state.

    uv run python adapters/autogen/bench/overhead.py [--seconds 10] [--connections 16]

AutoGen has no server of its own to compare with, so the same scripted-model AssistantAgent
(20 streamed words, no tool) is measured two ways: run in-process in a loop (``run_stream``
on a fresh agent per run: the ceiling), and served by agenthost over native SSE with
``--connections`` concurrent clients for ``--seconds`` (a fresh session per request, so every
run builds its per-session agent). Reported: runs/s, p50, p99 and the per-run overhead
(served p50 minus in-process p50), and a plain async generator streaming the same words
through the same server, which separates the host's own cost from AutoGen's and the adapter's.
The load client runs in the same process as the server (one core's worth of Python for
both). Then ``load_state`` of a session with 1, 10 and 100 prior
turns (what a run costs when its agent is not in the live cache: a restart, another replica).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx
from autogen_agentchat.agents import AssistantAgent

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import running_server
from agenthost_autogen import ScriptedChatClient

ANSWER = " ".join(f"word{i}" for i in range(20))


def make() -> AssistantAgent:
    client = ScriptedChatClient([ANSWER], repeat_last=True)
    return AssistantAgent("bench", model_client=client, model_client_stream=True)


async def plain(text: str) -> Any:
    """The same 20 words from a plain async generator: the host's cost without AutoGen."""
    for word in ANSWER.split(" "):
        yield word + " "


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def in_process(seconds: float) -> list[float]:
    latencies: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        async for _ in make().run_stream(task="go", output_task_messages=False):
            pass
        latencies.append(time.perf_counter() - start)
    return latencies


async def served(url: str, agent: str, seconds: float, connections: int) -> list[float]:
    latencies: list[float] = []
    end = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        while time.perf_counter() < end:
            start = time.perf_counter()
            async with client.stream("POST", f"/agents/{agent}/runs", json={"input": "go"}) as r:
                body = b"".join([chunk async for chunk in r.aiter_bytes()])
            if b"run.completed" not in body or b"word19" not in body:  # the whole answer
                raise RuntimeError(f"unexpected answer: {body[-300:]!r}")
            latencies.append(time.perf_counter() - start)

    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    return latencies


async def restore_cost(turns: int, repeats: int = 50) -> float:
    agent = make()
    for i in range(turns):
        await agent.run(task=f"turn {i}")
    state = await agent.save_state()
    start = time.perf_counter()
    for _ in range(repeats):
        await make().load_state(state)
    return (time.perf_counter() - start) / repeats


def line(name: str, latencies: list[float], seconds: float) -> str:
    p50, p99 = statistics.median(latencies) * 1000, pct(latencies, 0.99) * 1000
    rate = len(latencies) / seconds
    return f"{name:34s} {rate:8.1f} runs/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    ceiling = asyncio.run(in_process(args.seconds))
    print(line("in-process run_stream (1 at a time)", ceiling, args.seconds))
    config: dict[str, Any] = {"frontends": {"native": {}}}
    app = AgentApp(parse_config(config, "<bench>"))
    app.host.add_agent("bench", make)
    app.host.add_agent("plain", plain)
    with running_server(app) as server:
        got = asyncio.run(served(server.url, "bench", args.seconds, args.connections))
        base = asyncio.run(served(server.url, "plain", args.seconds, args.connections))
    conns = args.connections
    print(line(f"served AutoGen, native SSE, {conns} conns", got, args.seconds))
    print(line(f"served plain generator, {conns} conns", base, args.seconds))
    overhead = (statistics.median(got) - statistics.median(ceiling)) * 1000
    adapter = (statistics.median(got) - statistics.median(base)) * 1000
    print(f"per-run overhead, p50 served - p50 in-process: {overhead:.2f} ms "
          f"(of which AutoGen + adapter vs a plain generator: {adapter:.2f} ms)")
    for turns in (1, 10, 100):
        cost = asyncio.run(restore_cost(turns))
        print(f"load_state, {turns:3d} prior turns: {cost * 1000:.3f} ms")


if __name__ == "__main__":
    main()
