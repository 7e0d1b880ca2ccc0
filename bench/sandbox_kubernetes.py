"""The ``kubernetes`` sandbox backend on the fake API server, beside the ``docker`` backend.

    uv run python bench/sandbox_kubernetes.py [--runs 3] [--quick]

No Kubernetes cluster can run here, so the kubernetes backend talks to the fake API server of
the tests (tests/sandbox/kubernetes/fake_apiserver.py, a test double): the official client,
its HTTP, the pod watch and the exec websocket with its channel protocol all run for real, and
the "container" is the executor under bubblewrap on this machine. What is measured is
therefore agenthost's and the client's path, not a kubelet's or a container runtime's.

In each run, for both backends (the Docker engine and the ``agenthost-sandbox:py3`` image
must be there; pool of 1, the image's hardened defaults), medians and p99 (ms):
  1. warm: take a sandbox from the warm pool for a new session -> the result of
     ``print(1+1)`` (the pool refills between sessions, untimed);
  2. per-call round trip of ``print(1+1)`` on a live sandbox: the exec stream (kubernetes)
     vs the attach stream (docker);
  3. cold: a new sandbox with no pool -> the first result (on the fake: pod create, watch
     to Running, exec, bubblewrap; not a real pod start).
The figures reported are the medians of the per-run medians over ``--runs`` runs (>= 3), the
backends interleaved in each run; the load average is recorded before and after.
Results go to bench/results/sandbox_kubernetes-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
IMAGE = "agenthost-sandbox:py3"
sys.path.insert(0, str(ROOT))  # tests.sandbox.kubernetes.fake_apiserver

Stats = dict[str, float]


def stats(samples: list[float]) -> Stats:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"n": len(ordered), "median_ms": statistics.median(ordered) * 1e3, "p99_ms": p99 * 1e3}


async def _pool_ready(manager: Any, profile: str) -> None:
    """Until the pool holds a ready sandbox, and a moment more (as in bench/sandbox_docker.py):
    sessions arrive at a pool that has been warm for a while."""
    while manager.describe()[profile]["warm"] < 1:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.2)


async def measure(profile: dict[str, Any], rounds: dict[str, int]) -> dict[str, Stats]:
    from agenthost.plugins import Plugins
    from agenthost.sandbox.manager import SandboxManager

    plugins = Plugins()
    out: dict[str, Stats] = {}

    cold = SandboxManager({"cold": {**profile, "pool": 0}}, plugins)
    await cold.start(["cold"])  # profile start (NetworkPolicy) not timed
    samples = []
    try:
        for _ in range(rounds["cold"]):
            t0 = time.perf_counter()
            sandbox = await cold.create("cold")
            result = await sandbox.run_python("print(1+1)")
            samples.append(time.perf_counter() - t0)
            assert result.stdout == "2\n", result
            await sandbox.close()
    finally:
        await cold.close()
    out["cold"] = stats(samples)

    warm = SandboxManager({"warm": {**profile, "pool": 1}}, plugins)
    await warm.start(["warm"])  # starts the profile and fills its pool
    try:
        samples = []
        for _ in range(rounds["warm"]):
            await _pool_ready(warm, "warm")  # not timed
            t0 = time.perf_counter()
            sandbox = await warm.create("warm")
            result = await sandbox.run_python("print(1+1)")
            samples.append(time.perf_counter() - t0)
            assert result.stdout == "2\n", result
            await sandbox.close()
        out["warm"] = stats(samples)

        sandbox = await warm.create("warm")
        for _ in range(20):  # warm-up
            await sandbox.run_python("print(1+1)")
        samples = []
        for _ in range(rounds["calls"]):
            t0 = time.perf_counter()
            await sandbox.run_python("print(1+1)")
            samples.append(time.perf_counter() - t0)
        out["call"] = stats(samples)
        await sandbox.close()
    finally:
        await warm.close()
    return out


def combine(runs: list[dict[str, Stats]]) -> dict[str, Stats]:
    """Per metric: the median of the runs' medians and of their p99s."""
    return {
        key: {
            "runs": len(runs),
            "n_per_run": runs[0][key]["n"],
            "median_ms": statistics.median(r[key]["median_ms"] for r in runs),
            "p99_ms": statistics.median(r[key]["p99_ms"] for r in runs),
        }
        for key in runs[0]
    }


def report(summary: dict[str, dict[str, Stats]], load: dict[str, Any]) -> None:
    k8s, docker = summary["kubernetes"], summary["docker"]
    labels = {
        "warm": "warm acquire + first result",
        "call": "per-call round trip",
        "cold": "cold: new sandbox -> first result",
    }
    print(f"\n{'':36} {'backend':<22} {'median ms':>10} {'p99 ms':>9}")
    for key, label in labels.items():
        for name, side in (("kubernetes (fake API)", k8s), ("docker (attach)", docker)):
            s = side[key]
            print(f"{label:36} {name:<22} {s['median_ms']:>10.3f} {s['p99_ms']:>9.3f}")
            label = ""
    print("\nratios of medians, kubernetes-on-the-fake / docker")
    for key, label in labels.items():
        print(f"  {label:36} {k8s[key]['median_ms'] / docker[key]['median_ms']:>6.2f}x")
    print(f"\nload average before {load['before']}, after {load['after']} ({load['cpus']} cpus)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs (medians of their medians)")
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    rounds = (
        {"cold": 3, "warm": 10, "calls": 200}
        if args.quick
        else {"cold": 10, "warm": 30, "calls": 1000}
    )

    from tests.sandbox.kubernetes.fake_apiserver import FakeApiServer

    load: dict[str, Any] = {"before": os.getloadavg(), "cpus": os.cpu_count()}
    api = FakeApiServer()
    api.start()
    raw: dict[str, list[dict[str, Stats]]] = {"kubernetes": [], "docker": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            profiles: dict[str, dict[str, Any]] = {
                "kubernetes": {
                    "backend": "kubernetes",
                    "namespace": "bench",
                    "kubeconfig": str(api.kubeconfig(Path(tmp) / "kubeconfig")),
                    "start_timeout": 30,
                    # The fake mounts the work dir over this machine's tree: keep it off /work.
                    "workdir": "/agenthost-work",
                },
                "docker": {"backend": "docker", "image": IMAGE},
            }
            for i in range(args.runs):
                order = ["kubernetes", "docker"] if i % 2 == 0 else ["docker", "kubernetes"]
                for name in order:
                    print(f"run {i + 1}/{args.runs}: {name}", file=sys.stderr)
                    raw[name].append(asyncio.run(measure(profiles[name], rounds)))
    finally:
        api.stop()
    load["after"] = os.getloadavg()

    summary = {name: combine(runs) for name, runs in raw.items()}
    report(summary, load)
    results = {
        "command": " ".join(["uv run python bench/sandbox_kubernetes.py", *sys.argv[1:]]),
        "rounds": rounds,
        "load_average": load,
        "summary": summary,
        "ratios_kubernetes_over_docker": {
            key: summary["kubernetes"][key]["median_ms"] / summary["docker"][key]["median_ms"]
            for key in summary["docker"]
        },
        "runs": raw,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"sandbox_kubernetes-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
