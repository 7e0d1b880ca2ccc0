"""An Agno agent served by agenthost's native SSE and by Agno's own AgentOS, same load.

    uv run python bench/agno_agentos.py --runs 3 --quiet

Both serve bench/agents_agno.py: an Agno ``Agent`` on agenthost_agno's scripted model that
calls one tool, then streams 20 tokens, its sessions in the agent's own ``InMemoryDb`` (the
same persistence on both sides). The peer is AgentOS's ``POST /agents/{id}/runs``
(bench/peers/agno_agentos_app.py); every request on either side names a fresh session.
bench/inprocess.py runs the same agent in a loop without HTTP: Agno's ceiling.
Target (issue 12): >= 1.5x AgentOS's req/s, p99 no worse.
"""

from __future__ import annotations

import argparse
import json
import sys

import harness
from harness import AGENT_NAME, BENCH, BenchError, Ceiling, Comparison, ServerSpec, Target

NATIVE = "agenthost POST /agents/{name}/runs (SSE)"
AGENTOS = "AgentOS POST /agents/{id}/runs (SSE)"
CEILING = "Agno in-process (arun, stream_events)"


def check_native(raw: bytes) -> None:
    events = [data for _, data in harness.sse_events(raw)]
    kinds = [e["type"] for e in events]
    if "tool.result" not in kinds or kinds[-1] != "run.completed":
        raise BenchError(f"{NATIVE}: events {kinds}")
    harness.expect_tokens([e["text"] for e in events if e["type"] == "message.delta"], NATIVE)


def check_agentos(raw: bytes) -> None:
    events = [data for _, data in harness.sse_events(raw)]
    kinds = [e.get("event") for e in events]
    if "ToolCallCompleted" not in kinds or kinds[-1] != "RunCompleted":
        raise BenchError(f"{AGENTOS}: events {kinds}")
    harness.expect_tokens([e["content"] for e in events if e["event"] == "RunContent"], AGENTOS)


def agentos_spec(quiet: bool) -> ServerSpec:
    def argv(port: int) -> list[str]:
        cmd = [sys.executable, str(BENCH / "peers" / "agno_agentos_app.py"), "--port", str(port)]
        return [*cmd, *(["--quiet"] if quiet else [])]

    return ServerSpec("agno-agentos", argv, "/health", {"AGNO_TELEMETRY": "false"})


def build(args: argparse.Namespace) -> tuple[list, list, list]:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    targets = [
        Target(NATIVE, "agenthost", f"/agents/{AGENT_NAME}/runs",
               json.dumps({"input": "hi", "session_id": "{{SID}}"}),
               [harness.FULL_TEXT, '"tool.result"', '"type":"run.completed"'], check_native,
               ceiling=CEILING),
        Target(AGENTOS, "agno-agentos", f"/agents/{AGENT_NAME}/runs",
               "message=hi&stream=true&session_id={{SID}}",
               [harness.FULL_TEXT, "event: ToolCallCompleted", "event: RunCompleted"],
               check_agentos, headers=form, ceiling=CEILING),
    ]  # fmt: skip
    agenthost = harness.agenthost_spec(
        quiet=args.quiet, plugins=["agno"], target="bench/agents_agno.py:agent"
    )
    agenthost.env["AGNO_TELEMETRY"] = "false"
    return (
        [agenthost, agentos_spec(args.quiet)],
        targets,
        [Comparison(NATIVE, AGENTOS, min_rps_ratio=1.5, max_p99_ratio=1.0)],
    )


def ceilings(args: argparse.Namespace) -> list[Ceiling]:
    return [Ceiling(CEILING, [sys.executable, str(BENCH / "inprocess.py"), "agno"])]


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build, ceilings=ceilings))
