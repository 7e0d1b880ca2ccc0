"""A MAF agent served by agenthost (native SSE, Responses) and by MAF's own DevUI server.

    bash bench/setup_peers.sh                  # once: wrk, the peers' venvs (DevUI among them)
    uv run python bench/maf.py --runs 3 --quiet

All three serve bench/agents_maf.py: a MAF ``Agent`` on agenthost_maf's scripted chat client
that calls one tool, then streams 20 tokens. The peer is agent-framework-devui (its
OpenAI-compatible ``POST /v1/responses``; bench/peers/maf_devui_app.py). No side keeps a
conversation: agenthost's requests carry no session id (native) or ``store: false``
(Responses), DevUI's no ``conversation``. bench/inprocess.py runs the same agent in a loop
without HTTP: MAF's ceiling. Target (issue 13): >= 1.5x DevUI's req/s, p99 no worse.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import harness
from harness import AGENT_NAME, BENCH, BenchError, Ceiling, Comparison, ServerSpec, Target

NATIVE = "agenthost POST /agents/{name}/runs (SSE)"
RESPONSES = "agenthost POST /v1/responses (stream)"
DEVUI = "DevUI POST /v1/responses (stream)"
CEILING = "MAF in-process (agent.run, stream)"
DEVUI_VENV = BENCH / ".venvs" / "maf-devui"
ENTITY_ID = "agent_in_memory_tokens20"  # bench/peers/maf_devui_app.py fixes it


def check_native(raw: bytes) -> None:
    events = [data for _, data in harness.sse_events(raw)]
    kinds = [e["type"] for e in events]
    if "tool.result" not in kinds or kinds[-1] != "run.completed":
        raise BenchError(f"{NATIVE}: events {kinds}")
    harness.expect_tokens([e["text"] for e in events if e["type"] == "message.delta"], NATIVE)


def check_responses(where: str) -> Callable[[bytes], None]:
    def check(raw: bytes) -> None:
        events = [d for _, d in harness.sse_events(raw) if isinstance(d, dict)]
        kinds = [e.get("type") for e in events]
        deltas = [e["delta"] for e in events if e.get("type") == "response.output_text.delta"]
        harness.expect_tokens(deltas, where)
        if kinds[0] != "response.created" or kinds[-1] != "response.completed":
            raise BenchError(f"{where}: events run {kinds[0]} ... {kinds[-1]}")
        output = events[-1]["response"]["output"]
        # a function_call item (DevUI) or an mcp_call one (agenthost: the tool ran server-side)
        if not any(item.get("name") == "weather" for item in output):
            raise BenchError(f"{where}: no weather tool call in the completed response: {output}")

    return check


def devui_spec(quiet: bool) -> ServerSpec:
    python = DEVUI_VENV / "bin" / "python"
    if not python.exists():
        raise BenchError(f"{python} is missing: run bench/setup_peers.sh first")

    def argv(port: int) -> list[str]:
        cmd = [str(python), str(BENCH / "peers" / "maf_devui_app.py"), "--port", str(port)]
        return [*cmd, *(["--quiet"] if quiet else [])]

    return ServerSpec("maf-devui", argv, "/health")


def build(args: argparse.Namespace) -> tuple[list, list, list]:
    done = '"type":"run.completed"'
    targets = [
        Target(NATIVE, "agenthost", f"/agents/{AGENT_NAME}/runs", json.dumps({"input": "hi"}),
               [harness.FULL_TEXT, '"tool.result"', done], check_native, ceiling=CEILING),
        Target(RESPONSES, "agenthost", "/v1/responses",
               json.dumps({"model": AGENT_NAME, "input": "hi", "stream": True, "store": False}),
               [harness.FULL_TEXT, '"weather"', "response.completed"],
               check_responses(RESPONSES), ceiling=CEILING),
        Target(DEVUI, "maf-devui", "/v1/responses",
               json.dumps({"model": AGENT_NAME, "input": "hi", "stream": True,
                           "metadata": {"entity_id": ENTITY_ID}}),
               [harness.FULL_TEXT, '"weather"', "response.completed"],
               check_responses(DEVUI), ceiling=CEILING),
    ]  # fmt: skip
    servers = [
        harness.agenthost_spec(
            quiet=args.quiet, plugins=["maf", "responses"], target="bench/agents_maf.py:agent"
        ),
        devui_spec(args.quiet),
    ]
    comparisons = [
        Comparison(NATIVE, DEVUI, min_rps_ratio=1.5, max_p99_ratio=1.0),
        Comparison(RESPONSES, DEVUI, min_rps_ratio=1.5, max_p99_ratio=1.0),
    ]
    return servers, targets, comparisons


def ceilings(args: argparse.Namespace) -> list[Ceiling]:
    return [Ceiling(CEILING, [sys.executable, str(BENCH / "inprocess.py"), "maf"])]


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build, ceilings=ceilings))
