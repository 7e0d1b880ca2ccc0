"""agenthost's overhead on an AutoGen agent, and the cost of restoring a session's state.

    bash bench/setup_peers.sh                  # once: wrk
    uv run python bench/autogen_overhead.py --runs 3 --quiet

AutoGen has no server of its own to compare with, so the same agent (bench/agents_autogen.py:
an ``AssistantAgent`` on agenthost_autogen's scripted client that calls one tool, then streams
20 tokens) is measured two ways in every round: served by agenthost over native SSE (wrk, a
fresh session per request, so every run builds its agent and saves its state), and run
in-process in a loop without HTTP, as many at a time as wrk has connections (bench/inprocess.py:
the ceiling). The per-run overhead is 1/served req/s - 1/ceiling runs/s. For scale, the same
server also serves bench/agents.py:tokens20 (a plain generator, the same 20 tokens, no tool):
the host's own cost without AutoGen. Then ``load_state`` of a session with 1, 10 and 100
prior turns (what a run pays when its agent is not in the live cache: a restart, another
replica): the median of 200 restores, each into a new agent (built outside the timing, and
timed on its own), and the median of --runs such rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from typing import Any

import harness
from agents_autogen import make
from harness import AGENT_NAME, BENCH, BenchError, Ceiling, Target

AUTOGEN = "agenthost POST /agents/{name}/runs, AutoGen agent"
PLAIN = "agenthost POST /agents/{name}/runs, plain generator"
CEILING = "AutoGen in-process (run_stream)"
LOADS = 200


def check(tool: bool) -> Any:
    def check_native(raw: bytes) -> None:
        events = [data for _, data in harness.sse_events(raw)]
        kinds = [e["type"] for e in events]
        if kinds[-1] != "run.completed" or tool != ("tool.result" in kinds):
            raise BenchError(f"native SSE: events {kinds}")
        deltas = [e["text"] for e in events if e["type"] == "message.delta"]
        harness.expect_tokens(deltas, "native SSE")

    return check_native


def build(args: argparse.Namespace) -> tuple[list, list, list]:
    body = json.dumps({"input": "hi", "session_id": "{{SID}}"})
    path = f"/agents/{AGENT_NAME}/runs"
    done = '"type":"run.completed"'
    targets = [
        Target(AUTOGEN, "agenthost", path, body, [harness.FULL_TEXT, '"tool.result"', done],
               check(tool=True), ceiling=CEILING),
        Target(PLAIN, "agenthost-plain", path, body, [harness.FULL_TEXT, done], check(tool=False)),
    ]  # fmt: skip
    autogen = harness.agenthost_spec(
        quiet=args.quiet, plugins=["autogen"], target="bench/agents_autogen.py:make"
    )
    plain = harness.agenthost_spec(quiet=args.quiet, plugins=[])
    plain.name = "agenthost-plain"
    return [autogen, plain], targets, []


def ceilings(args: argparse.Namespace) -> list[Ceiling]:
    return [Ceiling(CEILING, [sys.executable, str(BENCH / "inprocess.py"), "autogen"])]


async def restore_ms(turns: int) -> tuple[float, float]:
    """Median ms, over LOADS restores of a session of ``turns`` prior runs, of building a new
    agent and of ``load_state`` into it (what a session rebuilt from the store pays)."""
    agent = make()
    for i in range(turns):
        await agent.run(task=f"turn {i}")
    state = await agent.save_state()
    builds, loads = [], []
    for _ in range(LOADS):
        start = time.perf_counter()
        fresh = make()
        built = time.perf_counter()
        await fresh.load_state(state)
        builds.append(built - start)
        loads.append(time.perf_counter() - built)
    return statistics.median(builds) * 1000, statistics.median(loads) * 1000


def restore_costs(args: argparse.Namespace) -> dict[str, Any]:
    rows = {
        turns: [asyncio.run(restore_ms(turns)) for _ in range(args.runs)] for turns in (1, 10, 100)
    }
    print(f"\nrestoring a session's state (median of {args.runs} rounds of {LOADS} restores):")
    for turns, values in rows.items():
        build = statistics.median(v[0] for v in values)
        load = statistics.median(v[1] for v in values)
        print(f"  {turns:3d} prior turns: load_state {load:.3f} ms (new agent: {build:.3f} ms)")
    return {
        "load_state_ms": {str(t): [v[1] for v in vs] for t, vs in rows.items()},
        "build_agent_ms": {str(t): [v[0] for v in vs] for t, vs in rows.items()},
    }


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build, ceilings=ceilings, extras=restore_costs))
