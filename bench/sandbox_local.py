"""The ``local`` sandbox backend: cold start, warm acquire, per-call round trip, beside floors.

    uv run python bench/sandbox_local.py                    # 200 of each, under bwrap
    uv run python bench/sandbox_local.py --isolation none   # the explicit no-isolation mode
    uv run python bench/sandbox_local.py -n 500 --json bench/results/sandbox_local.json

Measured in one run, medians and p99 over ``-n`` samples each:

- floor, plain: ``PYTHON -c pass`` as a subprocess (the same interpreter the sandbox runs),
  to its exit, and ``PYTHON -c "print(1)"`` to its first byte of output (no teardown);
- floor, bwrap: the same two under the exact bwrap command line a sandbox gets (its exit
  includes tearing the namespaces down, which a cold start does not wait for);
- cold: a new sandbox (no pool) up to the result of ``1+1``;
- warm: take a sandbox from the warm pool for a new session and get the result of ``1+1``
  (the pool refills in the background, as it does in service);
- round trip: ``1+1`` on a live sandbox.

Targets (issue 3): cold <= 1.5x the bwrap floor, warm <= 2 ms, round trip <= 0.3 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from agenthost.plugins import Plugins
from agenthost.sandbox.local import LocalBackend
from agenthost.sandbox.manager import SandboxManager

MS = 1000.0


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"median_ms": statistics.median(ordered) * MS, "p99_ms": p99 * MS, "n": len(ordered)}


def time_subprocess(argv: list[str], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)
        samples.append(time.perf_counter() - started)
    return samples


def time_first_output(argv: list[str], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
        assert proc.stdout is not None
        proc.stdout.read(1)
        samples.append(time.perf_counter() - started)
        proc.stdout.close()
        proc.wait()
    return samples


async def sample(n: int, body: Callable[[], Awaitable[float]]) -> list[float]:
    return [await body() for _ in range(n)]


async def measure(n: int, isolation: str) -> dict[str, Any]:
    table = {"backend": "local", "isolation": isolation}
    cold_manager = SandboxManager({"cold": {**table, "pool": 0, "max_sandboxes": 4}}, Plugins())
    warm_manager = SandboxManager({"warm": {**table, "pool": 1, "max_sandboxes": 4}}, Plugins())
    backend = LocalBackend(LocalBackend.Options.model_validate({"isolation": isolation}))
    await backend.start()
    results: dict[str, Any] = {"mode": backend.describe()["mode"], "python": backend.python}
    try:
        python = backend.python
        results["floor_plain"] = stats(time_subprocess([python, "-c", "pass"], n))
        results["floor_plain_output"] = stats(time_first_output([python, "-c", "print(1)"], n))
        if backend.uses_bwrap:
            argv = backend.bwrap_argv([python, "-c", "pass"])
            results["floor_bwrap"] = stats(time_subprocess(argv, n))
            argv = backend.bwrap_argv([python, "-c", "print(1)"])
            results["floor_bwrap_output"] = stats(time_first_output(argv, n))

        async def cold() -> float:
            started = time.perf_counter()
            sandbox = await cold_manager.create("cold")
            result = await sandbox.run_python("1+1")
            elapsed = time.perf_counter() - started
            assert result.value == "2", result
            await sandbox.close()
            return elapsed

        await cold_manager.start(["cold"])
        results["cold"] = stats(await sample(n, cold))

        await warm_manager.start(["warm"])
        counter = iter(range(10**9))

        async def warm() -> float:
            while warm_manager.describe()["warm"]["warm"] < 1:  # refilled (not timed)
                await asyncio.sleep(0.001)
            started = time.perf_counter()
            sandbox = await warm_manager.for_session("warm", f"s{next(counter)}")
            result = await sandbox.run_python("1+1")
            elapsed = time.perf_counter() - started
            assert result.value == "2", result
            await sandbox.close()
            return elapsed

        results["warm"] = stats(await sample(n, warm))

        live = await cold_manager.create("cold")

        async def round_trip() -> float:
            started = time.perf_counter()
            result = await live.run_python("1+1")
            elapsed = time.perf_counter() - started
            assert result.value == "2"
            return elapsed

        await sample(20, round_trip)  # warm-up: first-call paths, caches
        results["round_trip"] = stats(await sample(max(n, 1000), round_trip))
    finally:
        await cold_manager.close()
        await warm_manager.close()
        await backend.close()
    floor = results.get("floor_bwrap", results["floor_plain"])["median_ms"]
    strict = results.get("floor_bwrap_output", results["floor_plain_output"])["median_ms"]
    results["targets"] = {
        "cold_over_floor": results["cold"]["median_ms"] / floor,
        "cold_over_first_output_floor": results["cold"]["median_ms"] / strict,
        "cold_ok": results["cold"]["median_ms"] <= 1.5 * floor,
        "warm_ok": results["warm"]["median_ms"] <= 2.0,
        "round_trip_ok": results["round_trip"]["median_ms"] <= 0.3,
    }
    return results


def report(results: dict[str, Any]) -> None:
    print(f"local sandbox backend, mode={results['mode']}, python={results['python']}")
    print(f"{'what':<48}{'median':>12}{'p99':>12}{'n':>7}")
    rows = [
        ("floor: python -c pass (to exit)", "floor_plain"),
        ("floor: python -c print(1) (to output)", "floor_plain_output"),
        ("floor: bwrap + python -c pass (to exit)", "floor_bwrap"),
        ("floor: bwrap + python -c print(1) (to output)", "floor_bwrap_output"),
        ("cold: new sandbox + result of 1+1", "cold"),
        ("warm: pool acquire + result of 1+1", "warm"),
        ("round trip: 1+1 on a live sandbox", "round_trip"),
    ]
    for label, key in rows:
        if key in results:
            r = results[key]
            print(f"{label:<48}{r['median_ms']:>10.3f}ms{r['p99_ms']:>10.3f}ms{r['n']:>7}")
    t = results["targets"]
    floor_name = "bwrap" if "floor_bwrap" in results else "plain"
    print(
        f"cold / {floor_name} floor = {t['cold_over_floor']:.2f}x, "
        f"/ its to-output floor = {t['cold_over_first_output_floor']:.2f}x (target <= 1.5x: "
        f"{'met' if t['cold_ok'] else 'MISSED'}); warm <= 2 ms: "
        f"{'met' if t['warm_ok'] else 'MISSED'}; round trip <= 0.3 ms: "
        f"{'met' if t['round_trip_ok'] else 'MISSED'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="samples per measurement")
    parser.add_argument("--isolation", choices=["bwrap", "none"], default="bwrap")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    results = asyncio.run(measure(args.n, args.isolation))
    report(results)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
