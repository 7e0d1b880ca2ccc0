"""OpenAI Responses streaming: agenthost /v1/responses vs agentscope-runtime's, same agent.

    bash bench/setup_peers.sh                  # once: wrk, py-spy, the peer's venv
    uv run python bench/responses_sse.py       # 16 connections, 10 s each, one after the other
    uv run python bench/responses_sse.py --runs 3 --profile

Also agenthost's Chat Completions streaming (no peer counterpart). All serve
bench/agents.py:tokens20 (20 text tokens). Target (issue 5): >= 3x the peer's req/s.
The peer streams text deltas over Responses only with --peer-framework agentscope (the
default); its plain-text path sends the whole answer in one output_item.done.
"""

from __future__ import annotations

import argparse
import json
import sys

import harness
from harness import AGENT_NAME, BenchError, Comparison, Target

OURS = "agenthost POST /v1/responses (stream)"
CHAT = "agenthost POST /v1/chat/completions (stream)"
PEER = "agentscope-runtime POST /compatible-mode/v1/responses"


def check_responses(raw: bytes) -> None:
    """The Responses stream order: created ... output_text.delta x 20 ... completed."""
    events = [data for _, data in harness.sse_events(raw)]
    kinds = [e.get("type") for e in events]
    deltas = [e["delta"] for e in events if e.get("type") == "response.output_text.delta"]
    harness.expect_tokens(deltas, "Responses stream")
    if kinds[0] != "response.created" or kinds[-1] != "response.completed":
        raise BenchError(f"Responses stream: events run {kinds[0]} ... {kinds[-1]}")
    seqs = [e.get("sequence_number") for e in events]
    if seqs != list(range(len(events))):
        raise BenchError(f"Responses stream: sequence numbers {seqs}")


def check_chat(raw: bytes) -> None:
    events = [data for _, data in harness.sse_events(raw)]
    if events[-1] != "[DONE]":
        raise BenchError(f"{CHAT}: the stream does not end with [DONE]: {events[-1]!r}")
    chunks = [e for e in events[:-1] if isinstance(e, dict)]
    deltas = [
        c["choices"][0]["delta"]["content"]
        for c in chunks
        if c.get("choices") and c["choices"][0]["delta"].get("content")
    ]
    harness.expect_tokens(deltas, CHAT)
    if not any(c.get("choices") and c["choices"][0].get("finish_reason") for c in chunks):
        raise BenchError(f"{CHAT}: no chunk has a finish_reason")


def build(args: argparse.Namespace) -> tuple[list, list, list]:
    responses_body = json.dumps({"model": AGENT_NAME, "input": "hi", "stream": True})
    chat_body = json.dumps(
        {"model": AGENT_NAME, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    )
    # the completed response carries the whole answer; chat chunks carry only deltas
    responses_expects = [harness.FULL_TEXT, "response.completed"]
    targets = [
        Target(OURS, "agenthost", "/v1/responses", responses_body, responses_expects,
               check_responses),
        Target(CHAT, "agenthost", "/v1/chat/completions", chat_body,
               ['"t19 "', "data: [DONE]"], check_chat),
        Target(PEER, "agentscope-runtime", "/compatible-mode/v1/responses", responses_body,
               responses_expects, check_responses),
    ]  # fmt: skip
    servers = [
        harness.agenthost_spec(quiet=args.quiet, plugins=["responses", "openai"]),
        harness.agentscope_spec(quiet=args.quiet, framework=args.peer_framework),
    ]
    return servers, targets, [Comparison(OURS, PEER, max_p99_ratio=None)]


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build, peer_framework="agentscope"))
