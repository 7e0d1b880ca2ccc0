"""Docker sandboxes side by side: agenthost's ``docker`` backend vs llm-sandbox, same image.

    uv run python bench/sandbox_docker.py [--quick] [--no-peer]

Measured in one run, medians and p99 (ms):
  1. new session -> the result of ``print(1+1)``: agenthost cold (a container started for
     it), agenthost warm (taken from a pool of 1, the default), llm-sandbox (``SandboxSession``
     open + run);
  2. per-call round trip of ``print(1+1)`` on a live session;
  3. a 10-cell stateful session end to end (open, 10 cells, close). llm-sandbox runs each cell
     as a new process, so its cells carry the state in as literals: the same work per cell;
  and the floors: ``docker run --rm`` of the hardened image running ``python3 -c pass``, and
  ``docker exec`` of a python one-liner in a running container (both through the docker CLI).

llm-sandbox runs in its own venv (bench/.venvs/llm-sandbox, created on first use with
``llm-sandbox[docker]``) against the same image and engine, with the same limits where it can
take them (no network, no capabilities, no-new-privileges, pids/memory/cpu, init); it needs a
writable root and root in the container to copy its code files in, so it gets both.
Results go to bench/results/sandbox_docker-<time>.json. Needs a Docker engine and the image
(sandbox/images/ci-engine.sh makes both).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
PEER_VENV = BENCH / ".venvs" / "llm-sandbox"
PEER_PYTHON = PEER_VENV / "bin" / "python"
IMAGE = "agenthost-sandbox:py3"
HARDENED = [
    "--network", "none", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
    "--read-only", "--tmpfs", "/tmp:rw,noexec,nosuid,size=64m", "--pids-limit", "128",
    "--memory", "512m", "--memory-swap", "512m", "--cpus", "1", "--user", "65532:65532",
    "--ulimit", "nofile=256:256", "--ulimit", "fsize=67108864:67108864", "--init",
]  # fmt: skip
CELLS = (
    ["import math\nx = 0"] + [f"x += {i}\nprint(x)" for i in range(1, 9)] + ["print(math.sqrt(x))"]
)


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ordered), "median_ms": statistics.median(ordered) * 1e3, "p99_ms": p99 * 1e3}


# --------------------------------------------------------------------------------- agenthost


async def agenthost_side(rounds: dict[str, int]) -> dict[str, dict[str, float]]:
    from agenthost.plugins import Plugins
    from agenthost.sandbox.manager import SandboxManager

    plugins = Plugins()
    out: dict[str, dict[str, float]] = {}

    cold = SandboxManager({"cold": {"backend": "docker", "image": IMAGE, "pool": 0}}, plugins)
    await cold.start(["cold"])
    samples = []
    for _ in range(rounds["session"]):
        t0 = time.perf_counter()
        sandbox = await cold.create("cold")
        result = await sandbox.run_python("print(1+1)")
        samples.append(time.perf_counter() - t0)
        assert result.stdout == "2\n", result
        await sandbox.close()
    await cold.close()
    out["session_cold"] = stats(samples)

    warm = SandboxManager({"warm": {"backend": "docker", "image": IMAGE, "pool": 1}}, plugins)
    await warm.start(["warm"])  # profiles start on first use unless named here
    samples, cells = [], []
    for i in range(rounds["session"] + rounds["cells"]):
        await _pool_ready(warm, "warm")  # not timed: the pool refills between sessions
        t0 = time.perf_counter()
        sandbox = await warm.create("warm")
        if i < rounds["session"]:
            result = await sandbox.run_python("print(1+1)")
            samples.append(time.perf_counter() - t0)
            assert result.stdout == "2\n", result
            await sandbox.close()
        else:
            outputs = [(await sandbox.run_python(code)).stdout for code in CELLS]
            await sandbox.close()
            cells.append(time.perf_counter() - t0)
            assert outputs[-1] == "6.0\n", outputs
    out["session_warm"] = stats(samples)
    out["cells_10"] = stats(cells)

    sandbox = await warm.create("warm")
    for _ in range(20):  # warm-up
        await sandbox.run_python("print(1+1)")
    samples = []
    for _ in range(rounds["calls"]):
        t0 = time.perf_counter()
        await sandbox.run_python("print(1+1)")
        samples.append(time.perf_counter() - t0)
    out["call"] = stats(samples)
    await warm.close()
    return out


async def _pool_ready(manager: Any, profile: str) -> None:
    """Until the pool holds a ready sandbox, and a moment more: sessions arrive at a pool
    that has been warm for a while, not the instant its container came up."""
    while manager.describe()[profile]["warm"] < 1:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.2)


# --------------------------------------------------------------------------------- llm-sandbox

PEER_SCRIPT = r"""
import json, sys, time
from llm_sandbox import SandboxSession

image, rounds, cells = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
limits = dict(network_mode="none", cap_drop=["ALL"], security_opt=["no-new-privileges"],
              pids_limit=128, mem_limit="512m", memswap_limit="512m", nano_cpus=10**9,
              user="root", init=True)

def session():
    return SandboxSession(lang="python", image=image, keep_template=True,
                          skip_environment_setup=True, runtime_configs=dict(limits))

out = {"session": [], "call": [], "cells_10": [], "close": []}
for _ in range(rounds["session"]):
    t0 = time.perf_counter()
    s = session(); s.open()
    r = s.run("print(1+1)")
    out["session"].append(time.perf_counter() - t0)
    assert r.stdout == "2\n", (r.stdout, r.stderr)
    t1 = time.perf_counter(); s.close(); out["close"].append(time.perf_counter() - t1)
for _ in range(rounds["cells"]):
    t0 = time.perf_counter()
    s = session(); s.open()
    printed = [s.run(code).stdout for code in cells]
    s.close()
    out["cells_10"].append(time.perf_counter() - t0)
    assert printed[-1] == "6.0\n", printed
s = session(); s.open()
for _ in range(3):
    s.run("print(1+1)")
for _ in range(rounds["peer_calls"]):
    t0 = time.perf_counter(); s.run("print(1+1)"); out["call"].append(time.perf_counter() - t0)
s.close()
print(json.dumps(out))
"""


def peer_cells() -> list[str]:
    """The same cells, each carrying the state it needs as a literal (no state survives)."""
    out, x = [], 0
    for i, code in enumerate(CELLS):
        out.append(code if i == 0 else f"import math\nx = {x}\n{code}")
        if 1 <= i <= 8:
            x += i
    return out


def ensure_peer() -> None:
    if PEER_PYTHON.exists():
        return
    print("setting up llm-sandbox in", PEER_VENV, file=sys.stderr)
    subprocess.run(["uv", "venv", "-q", "--python", "3.11", str(PEER_VENV)], check=True)
    subprocess.run(
        ["uv", "pip", "install", "-q", "--python", str(PEER_PYTHON), "llm-sandbox[docker]"],
        check=True,
    )


def peer_side(rounds: dict[str, int]) -> dict[str, dict[str, float]]:
    ensure_peer()
    proc = subprocess.run(
        [str(PEER_PYTHON), "-c", PEER_SCRIPT, IMAGE, json.dumps(rounds), json.dumps(peer_cells())],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"llm-sandbox run failed:\n{proc.stderr[-3000:]}")
    raw = json.loads(proc.stdout.strip().splitlines()[-1])
    return {key: stats(values) for key, values in raw.items()}


# --------------------------------------------------------------------------------- floors


def floors(rounds: dict[str, int]) -> dict[str, dict[str, float]]:
    def timed(argv: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    run = ["docker", "run", "--rm", *HARDENED, IMAGE, "python3", "-c", "pass"]
    timed(run)  # warm-up
    out = {"docker_run": stats([timed(run) for _ in range(rounds["session"])])}
    name = f"agenthost-bench-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["docker", "run", "-d", "--name", name, *HARDENED, IMAGE, "sleep", "3600"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        exec_ = ["docker", "exec", name, "python3", "-c", "print(1+1)"]
        timed(exec_)
        out["docker_exec"] = stats([timed(exec_) for _ in range(rounds["peer_calls"])])
    finally:
        subprocess.run(["docker", "rm", "-f", name], check=True, stdout=subprocess.DEVNULL)
    return out


# --------------------------------------------------------------------------------- report


def report(results: dict[str, dict[str, dict[str, float]]]) -> None:
    ours, peer, floor = results["agenthost"], results.get("llm-sandbox", {}), results["floors"]
    rows = [
        ("new session -> print(1+1)  agenthost cold", ours["session_cold"]),
        ("                           agenthost warm (pool)", ours["session_warm"]),
        ("                           llm-sandbox", peer.get("session")),
        ("per-call round trip        agenthost", ours["call"]),
        ("                           llm-sandbox", peer.get("call")),
        ("10-cell session, open..close agenthost", ours["cells_10"]),
        ("                           llm-sandbox", peer.get("cells_10")),
        ("floor: docker run --rm python3 -c pass", floor["docker_run"]),
        ("floor: docker exec python one-liner", floor["docker_exec"]),
    ]
    print(f"\n{'':47} {'n':>4} {'median ms':>10} {'p99 ms':>9}")
    for label, s in rows:
        if s:
            print(f"{label:47} {s['n']:>4} {s['median_ms']:>10.3f} {s['p99_ms']:>9.3f}")

    def ratio(a: dict[str, float] | None, b: dict[str, float] | None) -> str:
        return f"{a['median_ms'] / b['median_ms']:.2f}x" if a and b else "n/a"

    lines = [
        ("cold session / docker run floor", ratio(ours["session_cold"], floor["docker_run"]),
         "target <= 1.2x"),
        ("warm acquire + first result", f"{ours['session_warm']['median_ms']:.2f} ms",
         "target <= 5 ms"),
        ("llm-sandbox / agenthost, per call", ratio(peer.get("call"), ours["call"]),
         "target >= 20x"),
        ("llm-sandbox / agenthost cold, session", ratio(peer.get("session"), ours["session_cold"]),
         ""),
        ("llm-sandbox / agenthost, 10 cells", ratio(peer.get("cells_10"), ours["cells_10"]), ""),
        ("docker exec floor / agenthost per call", ratio(floor["docker_exec"], ours["call"]), ""),
    ]  # fmt: skip
    print("\nratios of medians")
    for label, value, target in lines:
        print(f"  {label:40} {value:>10}   {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--no-peer", action="store_true", help="skip llm-sandbox")
    args = parser.parse_args()
    rounds = (
        {"session": 5, "cells": 3, "calls": 200, "peer_calls": 10}
        if args.quick
        else {"session": 20, "cells": 10, "calls": 1000, "peer_calls": 30}
    )
    results: dict[str, Any] = {"rounds": rounds}
    results["floors"] = floors(rounds)
    results["agenthost"] = asyncio.run(agenthost_side(rounds))
    if not args.no_peer:
        results["llm-sandbox"] = peer_side(rounds)
    report(results)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"sandbox_docker-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {path.relative_to(BENCH.parent)}")


if __name__ == "__main__":
    main()
