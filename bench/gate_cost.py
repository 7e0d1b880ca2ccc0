"""Server CPU per request of the native SSE endpoint: open vs with an API key, and against an
older checkout of the core (e.g. before the host's gate and FastAPI-native mounting).

    uv run python bench/gate_cost.py --runs 3
    uv run python bench/gate_cost.py --runs 3 --baseline-src /path/to/old/checkout/core/src

Wall-clock req/s swings with whatever else the machine runs; the CPU the server process
spends per completed request (utime + stime from /proc over a wrk load) is steadier, so this
reports both. Each round starts every server afresh and loads it with the same wrk target
(16 connections, 10 s, bench/agents.py:tokens20, built-in plugins only, log_level warning).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import harness
from harness import AGENT_NAME, AGENT_TARGET, RESULTS, ROOT, ServerSpec, Target
from native_sse import check_native

KEY = "bench-key-0123456789abcdef"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def spec(name: str, *, keyed: bool, src: str | None) -> ServerSpec:
    def argv(port: int) -> list[str]:
        keys = '\napi_keys = [{ env = "BENCH_API_KEY", principal = "bench" }]' if keyed else ""
        path = RESULTS / f"gate-cost-{name}.toml"
        path.write_text(
            f'[host]\nlisten = "127.0.0.1:{port}"\nlog_level = "warning"{keys}\n\n'
            f'[frontends.native]\n\n[agents.{AGENT_NAME}]\ntarget = "{ROOT / AGENT_TARGET}"\n'
        )
        return [sys.executable, "-m", "agenthost.cli", "serve", str(path)]

    env = {"AGENTHOST_LOAD_PLUGINS": "", "BENCH_API_KEY": KEY}
    if src:
        env["PYTHONPATH"] = src  # that checkout's agenthost shadows the installed one
    return ServerSpec(name, argv, "/readyz", env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--baseline-src", help="an older checkout's core/src to compare with")
    args = parser.parse_args()
    body = json.dumps({"input": "hi", "session_id": "{{SID}}"})
    expects = [harness.FULL_TEXT, '"type":"run.completed"']
    path = f"/agents/{AGENT_NAME}/runs"
    cases = [
        ("open", spec("open", keyed=False, src=None), {}),
        ("api key", spec("keyed", keyed=True, src=None), {"Authorization": f"Bearer {KEY}"}),
    ]
    if args.baseline_src:
        cases.append(("baseline (open)", spec("base", keyed=False, src=args.baseline_src), {}))
    rows: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in cases}
    for round_no in range(1, args.runs + 1):
        for label, server_spec, headers in cases:
            target = Target(label, server_spec.name, path, body, expects=expects,
                            check=check_native, headers=headers)
            server = harness.start_server(server_spec)
            try:
                harness.check_sample(server, target)
                harness.run_wrk(server.url, target, connections=args.connections,
                                duration=2, threads=1)  # warm-up
                before = cpu_seconds(server.pid)
                result = harness.run_wrk(server.url, target, connections=args.connections,
                                         duration=args.duration, threads=1)
                cpu = cpu_seconds(server.pid) - before
            finally:
                harness.stop_server(server)
            done = max(result.requests - result.bad, 1)
            row = {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
                   "cpu_ms_per_request": 1000 * cpu / done, "errors": result.errors,
                   "bad": result.bad, "loadavg": result.loadavg}
            rows[label].append(row)
            print(f"[run {round_no}/{args.runs}] {label:<16} {row['rps']:7.0f} req/s  "
                  f"p99 {row['p99_ms']:7.1f} ms  {row['cpu_ms_per_request']:6.2f} CPU ms/req  "
                  f"load {row['loadavg']:.1f}", flush=True)
    print("\nmedians:")
    medians = {
        label: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for label, runs in rows.items()
    }
    for label, m in medians.items():
        print(f"  {label:<16} {m['rps']:7.0f} req/s  p99 {m['p99_ms']:7.1f} ms  "
              f"{m['cpu_ms_per_request']:6.2f} CPU ms/req")
    base = medians["open"]
    for label, m in medians.items():
        if label != "open":
            print(f"  {label} / open: req/s {m['rps'] / base['rps']:.2f}x, CPU per request "
                  f"{m['cpu_ms_per_request'] / base['cpu_ms_per_request']:.2f}x")
    out = RESULTS / f"gate_cost-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "cpus": os.cpu_count(), "rows": rows,
                               "medians": medians}, indent=2))
    print(f"results: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
