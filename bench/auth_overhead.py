"""What authentication costs the native SSE endpoint: the same host with and without an API key.

    uv run python bench/auth_overhead.py --runs 3          # 16 connections, 10 s each

Both servers: built-in plugins only, `log_level = "warning"` (no access log, no per-run line),
bench/agents.py:tokens20 (20 text tokens), a fresh session id per request. The keyed one has
one API key mapped to a principal, so every request passes the gate's authentication and the
run is owner-scoped. Target (issue 10): the keyed host keeps at least 90% of the open one's
req/s.
"""

from __future__ import annotations

import argparse
import json
import sys

import harness
from harness import AGENT_NAME, AGENT_TARGET, RESULTS, ROOT, Comparison, ServerSpec, Target
from native_sse import check_native

OPEN = "agenthost native SSE, no authentication"
KEYED = "agenthost native SSE, API key (principal bench)"
KEY = "bench-key-0123456789abcdef"


def spec(name: str, keyed: bool) -> ServerSpec:
    def argv(port: int) -> list[str]:
        keys = '\napi_keys = [{ env = "BENCH_API_KEY", principal = "bench" }]' if keyed else ""
        path = RESULTS / f"auth-overhead-{name}.toml"
        path.write_text(
            f'[host]\nlisten = "127.0.0.1:{port}"\nlog_level = "warning"{keys}\n\n'
            f'[frontends.native]\n\n[agents.{AGENT_NAME}]\ntarget = "{ROOT / AGENT_TARGET}"\n'
        )
        return [sys.executable, "-m", "agenthost.cli", "serve", str(path)]

    env = {"AGENTHOST_LOAD_PLUGINS": "", "BENCH_API_KEY": KEY}
    return ServerSpec(name, argv, "/readyz", env)


def build(args: argparse.Namespace) -> tuple[list, list, list]:
    body = json.dumps({"input": "hi", "session_id": "{{SID}}"})
    path = f"/agents/{AGENT_NAME}/runs"
    expects = [harness.FULL_TEXT, '"type":"run.completed"']
    targets = [
        Target(OPEN, "open", path, body, expects=expects, check=check_native),
        Target(KEYED, "keyed", path, body, expects=expects, check=check_native,
               headers={"Authorization": f"Bearer {KEY}"}),
    ]
    servers = [spec("open", keyed=False), spec("keyed", keyed=True)]
    return servers, targets, [Comparison(KEYED, OPEN, min_rps_ratio=0.9, max_p99_ratio=None)]


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build))
