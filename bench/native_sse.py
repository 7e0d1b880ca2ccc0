"""agenthost's native SSE endpoint vs agentscope-runtime's /process, same agent, same load.

    bash bench/setup_peers.sh                  # once: wrk, py-spy, the peer's venv
    uv run python bench/native_sse.py          # 16 connections, 10 s each, one after the other
    uv run python bench/native_sse.py --runs 3 --profile

Both serve bench/agents.py:tokens20 (20 text tokens). Each request has its own session id.
Targets (issue 2): agenthost >= 3x the peer's req/s and <= 1/3 of its p99.
"""

from __future__ import annotations

import argparse
import json
import sys

import harness
from harness import AGENT_NAME, BenchError, Comparison, Target

NATIVE = "agenthost POST /agents/{name}/runs (SSE)"
PROCESS = "agentscope-runtime POST /process (SSE)"


def check_native(raw: bytes) -> None:
    events = [data for _, data in harness.sse_events(raw)]
    harness.expect_tokens([e["text"] for e in events if e["type"] == "message.delta"], NATIVE)
    if events[-1]["type"] != "run.completed":
        raise BenchError(f"{NATIVE}: last event is {events[-1]['type']}, not run.completed")


def check_process(raw: bytes) -> None:
    events = [data for _, data in harness.sse_events(raw)]
    deltas = [e["text"] for e in events if e.get("object") == "content" and e.get("delta")]
    harness.expect_tokens(deltas, PROCESS)
    last = events[-1]
    if last.get("object") != "response" or last.get("status") != "completed":
        raise BenchError(f"{PROCESS}: last event is not a completed response: {last}")


def build(args: argparse.Namespace) -> tuple[list, list, list]:
    native_body = {"input": "hi", "session_id": "{{SID}}"}
    process_body = {
        "input": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "session_id": "{{SID}}",
    }
    targets = [
        Target(
            NATIVE,
            "agenthost",
            f"/agents/{AGENT_NAME}/runs",
            json.dumps(native_body),
            expects=[harness.FULL_TEXT, '"type":"run.completed"'],
            check=check_native,
        ),
        Target(
            PROCESS,
            "agentscope-runtime",
            "/process",
            json.dumps(process_body),
            # the final response event carries the whole answer
            expects=[harness.FULL_TEXT, '"object":"response","status":"completed"'],
            check=check_process,
        ),
    ]
    servers = [
        # built-ins only (the native frontend): other plugins add nothing to this path
        harness.agenthost_spec(quiet=args.quiet, plugins=[]),
        harness.agentscope_spec(quiet=args.quiet, framework=args.peer_framework),
    ]
    return servers, targets, [Comparison(NATIVE, PROCESS)]


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build))
