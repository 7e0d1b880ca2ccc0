"""A2A: agenthost SendStreamingMessage vs agentscope-runtime's /a2a, same agent, same load.

    bash bench/setup_peers.sh                  # once: wrk, py-spy, the peer's venv
    uv run python bench/a2a_stream.py          # 16 connections, 10 s each, one after the other
    uv run python bench/a2a_stream.py --runs 3 --profile

agenthost: A2A 1.0 JSON-RPC ``SendStreamingMessage`` on ``/a2a/tokens20`` (SSE: task, status
updates, one artifact update per text delta). agentscope-runtime 1.1.6 serves A2A 0.3 on
``/a2a`` and does not stream (its card says ``streaming: false`` and ``message/stream``
answers -32603), so it is loaded with unary ``message/send``: one JSON answer holding the
whole text. For a like-for-like pair, agenthost's unary ``SendMessage`` is measured too.
Every request has its own contextId. Issue 6 sets no target: it asks for the ratios.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import harness
from harness import AGENT_NAME, BenchError, Comparison, Target

OURS = "agenthost A2A 1.0 SendStreamingMessage (SSE)"
OURS_UNARY = "agenthost A2A 1.0 SendMessage (unary)"
PEER = "agentscope-runtime A2A 0.3 message/send (unary)"
COMPLETED = "TASK_STATE_COMPLETED"


def _texts(parts: list[dict[str, Any]]) -> str:
    return "".join(p.get("text", "") for p in parts)


def check_stream(raw: bytes) -> None:
    """Artifact updates carry the 20 deltas; the last status update says completed."""
    results = []
    for _, data in harness.sse_events(raw):
        if "error" in data:
            raise BenchError(f"{OURS}: JSON-RPC error {data['error']}")
        results.append(data["result"])
    deltas = [
        _texts(r["artifactUpdate"]["artifact"]["parts"]) for r in results if "artifactUpdate" in r
    ]
    harness.expect_tokens([d for d in deltas if d], OURS, merged=True)
    states = [r["statusUpdate"]["status"]["state"] for r in results if "statusUpdate" in r]
    if not states or states[-1] != COMPLETED:
        raise BenchError(f"{OURS}: status updates {states}, expected to end {COMPLETED}")


def check_unary(raw: bytes) -> None:
    """A message (0.3 ``kind: message``) or a task (1.0 ``{"task": ...}``) with the answer."""
    data = json.loads(raw)
    if "error" in data:
        raise BenchError(f"JSON-RPC error {data['error']}")
    result = data["result"]
    result = result.get("task", result.get("message", result))
    text = _texts(result.get("parts", [])) or _texts(
        [p for a in result.get("artifacts", []) for p in a.get("parts", [])]
    )
    if text != harness.FULL_TEXT:
        raise BenchError(f"answer {text!r}, expected {harness.FULL_TEXT!r}")


def build(args: argparse.Namespace) -> tuple[list, list, list]:
    ours_body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "SendStreamingMessage",
        "params": {
            "message": {
                "messageId": "{{SID}}",
                "contextId": "{{SID}}",
                "role": "ROLE_USER",
                "parts": [{"text": "hi"}],
            }
        },
    }
    ours_unary_body = {**ours_body, "method": "SendMessage"}
    peer_body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "message/send",
        "params": {
            "message": {
                "kind": "message",
                "messageId": "{{SID}}",
                "contextId": "{{SID}}",
                "role": "user",
                "parts": [{"kind": "text", "text": "hi"}],
            }
        },
    }
    targets = [
        Target(OURS, "agenthost", f"/a2a/{AGENT_NAME}", json.dumps(ours_body),
               ['t19 "', COMPLETED], check_stream, headers={"A2A-Version": "1.0"}),
        Target(OURS_UNARY, "agenthost", f"/a2a/{AGENT_NAME}", json.dumps(ours_unary_body),
               [harness.FULL_TEXT, COMPLETED], check_unary, headers={"A2A-Version": "1.0"}),
        Target(PEER, "agentscope-runtime", "/a2a", json.dumps(peer_body),
               [harness.FULL_TEXT], check_unary,
               note="does not stream: one JSON answer with the whole text"),
    ]  # fmt: skip
    servers = [
        harness.agenthost_spec(quiet=args.quiet, plugins=["a2a"]),
        harness.agentscope_spec(quiet=args.quiet, framework=args.peer_framework),
    ]
    comparisons = [
        Comparison(OURS, PEER, min_rps_ratio=None, max_p99_ratio=None),
        Comparison(OURS_UNARY, PEER, min_rps_ratio=None, max_p99_ratio=None),
    ]
    return servers, targets, comparisons


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build))
