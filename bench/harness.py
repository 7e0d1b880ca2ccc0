"""What every side-by-side benchmark shares: servers, readiness, wrk, RSS, profiles, tables.

A benchmark script names its servers (``ServerSpec``), the endpoints to load (``Target``) and
which pairs to compare, then hands them to ``main``. For each of ``--runs`` rounds, ``main``
takes the targets in turn: starts a fresh server for it (timing process start to ready,
reading idle RSS), checks one sample response (the whole 20-token answer must be there),
warms up, drives it with wrk (same connections, same duration for every target), checks an
answer again and stops the server. At the end it prints medians, ratios against the
targets, and where the results were written (bench/results/).

Stdlib only: it runs under the workspace venv and starts the peers from their own venvs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
PEER_VENV = BENCH / ".venvs" / "agentscope-runtime"
PY_SPY = BENCH / ".venvs" / "tools" / "bin" / "py-spy"
WRK_SCRIPT = BENCH / "lua" / "post.lua"
AGENT_TARGET = "bench/agents.py:tokens20"
AGENT_NAME = "tokens20"

sys.path.insert(0, str(BENCH))
from agents import FULL_TEXT, TOKEN_COUNT  # noqa: E402


class BenchError(Exception):
    """A benchmark cannot measure what it should (server down, wrong answers, no wrk)."""


# ------------------------------------------------------------------------------- servers


@dataclass
class ServerSpec:
    """How to start one server: ``argv(port)`` is its command line."""

    name: str
    argv: Callable[[int], list[str]]
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    ready_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Server:
    spec: ServerSpec
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    ready_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_mb(self) -> float:
        """Resident memory of the server and any processes it started, in MiB."""
        return sum(_rss_kb(pid) for pid in _process_tree(self.pid)) / 1024


def _process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo.extend(int(c) for c in task.read_text().split())
    return pids


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(spec: ServerSpec, *, timeout: float = 90) -> Server:
    """Start ``spec`` on a free loopback port; returns once its ready path answers 200."""
    RESULTS.mkdir(exist_ok=True)
    port = free_port()
    log_path = RESULTS / f"{spec.name}.log"
    log = log_path.open("wb")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **spec.env}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        spec.argv(port), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
    )
    server = Server(spec, port, proc, log_path)
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{spec.name} exited with {proc.returncode}; see {log_path}")
        try:
            status, _ = http_request(
                server.url, "GET", spec.ready_path, headers=spec.ready_headers, timeout=1
            )
            if status == 200:
                server.ready_s = time.perf_counter() - t0
                return server
        except OSError:
            pass
        time.sleep(0.01)  # polling readiness, bounded by the deadline
    stop_server(server)
    raise BenchError(f"{spec.name} not ready after {timeout:.0f} s; see {log_path}")


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGINT)
        try:
            server.proc.wait(10)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(5)


def agenthost_spec(
    *,
    quiet: bool,
    plugins: list[str] | None = None,
    target: str = AGENT_TARGET,
    config: str = "",
) -> ServerSpec:
    """``agenthost serve bench/agents.py:tokens20`` with its default settings.

    ``plugins``: the installed plugins to load (``AGENTHOST_LOAD_PLUGINS``; the built-ins,
    i.e. the native frontend and the python adapter, always load); None loads every one.
    ``quiet`` serves it from a config with ``log_level = "warning"`` (no access log, no
    per-run log line), to compare with a quiet peer. ``target``: another agent to serve
    under the name ``tokens20`` (a framework agent in bench/agents_*.py); ``config``: more
    TOML for the config file (a ``[store]`` table, say; ``{port}`` in it becomes the port, so
    each server gets its own files), which is then always used.
    """
    env = {} if plugins is None else {"AGENTHOST_LOAD_PLUGINS": ",".join(plugins)}

    def argv(port: int) -> list[str]:
        cli = [sys.executable, "-m", "agenthost.cli", "serve"]
        if not quiet and not config and target == AGENT_TARGET:
            return [*cli, AGENT_TARGET, "--port", str(port)]
        path = RESULTS / "agenthost-bench.toml"
        level = 'log_level = "warning"\n' if quiet else ""
        path.write_text(
            f'[host]\nlisten = "127.0.0.1:{port}"\n{level}\n'
            f'[agents.{AGENT_NAME}]\ntarget = "{ROOT / target}"\n\n'
            + config.replace("{port}", str(port))
        )
        return [*cli, str(path)]

    return ServerSpec("agenthost", argv, "/readyz", env)


def agentscope_spec(*, quiet: bool, framework: str = "text") -> ServerSpec:
    """bench/peers/agentscope_app.py in the peer's venv (bench/setup_peers.sh)."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        raise BenchError(f"{python} is missing: run bench/setup_peers.sh first")

    def argv(port: int) -> list[str]:
        cmd = [str(python), str(BENCH / "peers" / "agentscope_app.py"), "--port", str(port)]
        return [*cmd, "--framework", framework, *(["--quiet"] if quiet else [])]

    return ServerSpec("agentscope-runtime", argv, "/health")


# ------------------------------------------------------------------------------- HTTP


def http_request(
    base_url: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, bytes]:
    """One request; the whole response body (a stream is read to its end)."""
    host, port = base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        payload = None if body is None else (body if isinstance(body, str) else json.dumps(body))
        sent = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, path, body=payload, headers={**sent, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def sse_events(body: bytes) -> list[tuple[str | None, Any]]:
    """Parse an SSE body into ``(event name, data)``; data is JSON-decoded when it parses."""
    out: list[tuple[str | None, Any]] = []
    for block in body.decode().replace("\r\n", "\n").split("\n\n"):
        name, data = None, []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if not data:
            continue
        text = "\n".join(data)
        try:
            out.append((name, json.loads(text)))
        except json.JSONDecodeError:
            out.append((name, text))
    return out


def expect_tokens(deltas: list[str], where: str, *, merged: bool = False) -> None:
    """The sample check's core: exactly the agent's 20 deltas, in order.

    ``merged``: the protocol may join deltas that arrived together (A2A's ``merge_deltas``),
    so any number of chunks up to 20 is fine as long as they make the whole answer.
    """
    count_ok = 1 <= len(deltas) <= TOKEN_COUNT if merged else len(deltas) == TOKEN_COUNT
    if not count_ok or "".join(deltas) != FULL_TEXT:
        raise BenchError(
            f"{where}: expected {TOKEN_COUNT} text deltas making {FULL_TEXT!r}, "
            f"got {len(deltas)}: {''.join(deltas)!r}"
        )


# ------------------------------------------------------------------------------- load


@dataclass
class Target:
    """One endpoint to load: POST ``body`` (``{{SID}}`` → a fresh id per request) to ``path``.

    ``expects``: substrings every response body must hold for wrk to count it as good.
    ``check``: validates one whole sample response (raises BenchError) before the load.
    """

    label: str
    server: str
    path: str
    body: str
    expects: list[str]
    check: Callable[[bytes], None]
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""
    ceiling: str = ""
    """The label of the in-process ceiling (``Ceiling``) this endpoint is set against."""
    driver: list[str] | None = None
    """A load client to use instead of wrk (bench/pyload.py): ``[*driver, URL, "--duration",
    S, "--connections", N]`` checks every answer itself and prints wrk's ``WRKJSON`` line."""


@dataclass
class Ceiling:
    """The framework's own ceiling: the agent run in a loop in one process, without HTTP.

    ``argv`` (bench/inprocess.py) runs ``--connections`` runs at a time for ``--duration``
    seconds and prints one line ``INPROC {json}`` (runs, seconds, rps, p50_ms, p99_ms).
    """

    label: str
    argv: list[str]


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int
    bad: int
    bad_sample: str
    loadavg: float

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.bad == 0 and self.requests > 0


def run_wrk(
    url: str, target: Target, *, connections: int, duration: float, threads: int
) -> WrkResult:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed: run bench/setup_peers.sh first")
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_SCRIPT),
        url,
        "--",
        target.path,
        target.body,
        "\n".join(f"{k}: {v}" for k, v in target.headers.items()),
        *target.expects,
    ]
    if target.driver:
        cmd = [*target.driver, url, "--duration", f"{duration:g}", "--connections",
               str(connections)]  # fmt: skip
    loadavg = os.getloadavg()[0]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120, cwd=ROOT)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if proc.returncode != 0 or line is None:
        tool = "the load client" if target.driver else "wrk"
        raise BenchError(f"{tool} failed ({proc.returncode}): {proc.stderr or proc.stdout}")
    d = json.loads(line.removeprefix("WRKJSON "))
    seconds = d["duration_us"] / 1e6
    errors = sum(
        d[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    good = d["requests"] - d["bad"] - d["status_errors"]
    return WrkResult(
        requests=d["requests"],
        duration_s=seconds,
        rps=max(good, 0) / seconds,  # only complete, correct answers count
        p50_ms=d["p50_us"] / 1000,
        p90_ms=d["p90_us"] / 1000,
        p99_ms=d["p99_us"] / 1000,
        mean_ms=d["mean_us"] / 1000,
        max_ms=d["max_us"] / 1000,
        errors=errors,
        bad=d["bad"],
        bad_sample=d["bad_sample"],
        loadavg=loadavg,
    )


def run_ceiling(ceiling: Ceiling, args: argparse.Namespace) -> dict[str, float]:
    cmd = [*ceiling.argv, "--duration", f"{args.duration:g}", "--warmup", f"{args.warmup:g}",
           "--concurrency", str(args.connections)]  # fmt: skip
    loadavg = os.getloadavg()[0]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=args.duration + args.warmup + 120, cwd=ROOT
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("INPROC ")), None)
    if proc.returncode != 0 or line is None:
        raise BenchError(f"{ceiling.label} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return {**json.loads(line.removeprefix("INPROC ")), "loadavg": loadavg}


def check_sample(server: Server, target: Target) -> None:
    body = target.body.replace("{{SID}}", f"check-{time.monotonic_ns()}")
    status, raw = http_request(server.url, "POST", target.path, body, headers=target.headers)
    if status != 200:
        raise BenchError(f"{target.label}: POST {target.path} answered {status}: {raw[:500]!r}")
    try:
        target.check(raw)
    except BenchError:
        raise
    except Exception as exc:
        raise BenchError(f"{target.label}: unexpected answer ({exc!r}): {raw[:800]!r}") from exc
    missing = [e for e in target.expects if e.encode() not in raw]
    if missing:
        raise BenchError(f"{target.label}: answer lacks {missing}: {raw[-800:]!r}")


# ------------------------------------------------------------------------------- profile


def profile(server: Server, target: Target, args: argparse.Namespace) -> Path:
    """py-spy record the server while wrk loads ``target``; raw collapsed stacks to a file.

    Sampling pauses the server briefly each time, so these runs are not the measured ones.
    """
    if not PY_SPY.exists():
        raise BenchError(f"{PY_SPY} is missing: run bench/setup_peers.sh first")
    out = RESULTS / f"profile-{server.spec.name}-{_slug(target.label)}.txt"
    load = {"connections": args.connections, "threads": args.threads}
    check_sample(server, target)
    if args.warmup > 0:
        run_wrk(server.url, target, duration=args.warmup, **load)
    # --native shows where CPython itself spends time (the garbage collector, say)
    spy = subprocess.Popen(
        [str(PY_SPY), "record", "--pid", str(server.pid), "--duration", f"{args.duration:.0f}",
         "--rate", "200", "--native", "--format", "raw", "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(0.5)  # let py-spy attach before the load starts
    result = run_wrk(server.url, target, duration=args.duration, **load)
    _, err = spy.communicate(timeout=60)
    if spy.returncode != 0 or not out.exists():
        raise BenchError(f"py-spy failed: {err.decode()[-500:]}")
    print(
        f"\nprofile of {server.spec.name} under {target.label} "
        f"({result.rps:.0f} req/s while sampled): {out.relative_to(ROOT)}"
    )
    print_hot_spots(out)
    return out


IDLE_FRAMES = ("PyThread_acquire_lock_timed ", "epoll_wait ", "epoll_pwait ", "select ")


def print_hot_spots(collapsed: Path, top: int = 15) -> None:
    """Summarise py-spy's collapsed stacks by function: own time, inclusive time, and GC.

    With ``--native`` stacks, a sample inside CPython's collector counts as garbage
    collection, and one waiting on a lock or in epoll (an idle thread pool, an idle event
    loop) as idle; otherwise its own time goes to the innermost Python function. Shares are
    of the busy samples.
    """
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = idle = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if any(f.startswith(IDLE_FRAMES) for f in frames):
            idle += n
            continue
        python = [_function(f) for f in frames if ".py:" in f]
        samples += n
        if any(f.startswith("gc_collect_main ") for f in frames):
            own["[garbage collection: gc_collect_main]"] += n
        elif python:
            own[python[-1]] += n
        for frame in set(python):
            total[frame] += n
    if not samples:
        print("  (no samples)")
        return
    print(f"  {samples} busy samples ({idle} idle left out); own time by function:")
    for frame, n in own.most_common(top):
        print(f"    {100 * n / samples:5.1f}%  {frame}")
    print("  inclusive time of agenthost's own functions:")
    ours = [(f, n) for f, n in total.most_common() if f.split(" (", 1)[1].startswith("agenthost")]
    for frame, n in [(f, n) for f, n in ours if n < 0.9 * samples][:top]:
        print(f"    {100 * n / samples:5.1f}%  {frame}")


def _function(frame: str) -> str:
    # "func (/long/path/site-packages/pkg/mod.py:12)" -> "func (pkg/mod.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/src/", "/lib/python3.11/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").lower()


# ------------------------------------------------------------------------------- report


@dataclass
class Comparison:
    """``ours`` against ``peer``: ratios printed, and checked against the issue's targets."""

    ours: str
    peer: str
    min_rps_ratio: float | None = 3.0
    max_p99_ratio: float | None = 1 / 3


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_report(
    servers: dict[str, list[dict[str, float]]],
    results: dict[str, list[WrkResult]],
    targets: list[Target],
    comparisons: list[Comparison],
    args: argparse.Namespace,
    ceilings: dict[str, list[dict[str, float]]] | None = None,
) -> None:
    runs = args.runs
    agg = "median of " + str(runs) + " runs" if runs > 1 else "one run"
    print(
        f"\n== {args.connections} connections, {args.duration:g} s each, wrk -t{args.threads}; "
        f"{agg}; {os.cpu_count()} CPUs =="
    )
    header = f"{'endpoint':<54} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'load':>5}"
    print(header)
    print("-" * len(header))
    for target in targets:
        rows = results.get(target.label, [])
        if not rows:
            continue
        errors = sum(r.errors + r.bad for r in rows)
        print(
            f"{target.label:<54} {_median([r.rps for r in rows]):>8.0f} "
            f"{_median([r.p50_ms for r in rows]):>8.1f} {_median([r.p99_ms for r in rows]):>8.1f} "
            f"{errors:>7} {_median([r.loadavg for r in rows]):>5.1f}"
        )
        if target.note:
            print(f"    note: {target.note}")
    print(f"\n{'server':<22} {'start→ready s':>14} {'idle RSS MiB':>13} {'RSS after MiB':>14}")
    for name, stats in servers.items():
        print(
            f"{name:<22} {_median([s['ready_s'] for s in stats]):>14.2f} "
            f"{_median([s['idle_rss_mb'] for s in stats]):>13.1f} "
            f"{_median([s['rss_after_mb'] for s in stats]):>14.1f}"
        )
    for c in comparisons:
        ours, peer = results.get(c.ours), results.get(c.peer)
        if not ours or not peer:
            continue
        if not _median([r.rps for r in peer]) or not _median([r.p50_ms for r in peer]):
            print(f"\n{c.ours}  vs  {c.peer}: no ratio, the peer answered nothing in time")
            continue
        rps = _median([r.rps for r in ours]) / _median([r.rps for r in peer])
        p50 = _median([r.p50_ms for r in ours]) / _median([r.p50_ms for r in peer])
        p99 = _median([r.p99_ms for r in ours]) / _median([r.p99_ms for r in peer])
        print(f"\n{c.ours}  vs  {c.peer}:")
        print(f"  req/s ratio {rps:5.2f}x" + _verdict(rps, c.min_rps_ratio, ">="))
        print(f"  p50 ratio   {p50:5.2f}")
        print(f"  p99 ratio   {p99:5.2f} " + _verdict(p99, c.max_p99_ratio, "<="))
        if len(ours) == len(peer) > 1:  # both measured in every round, one after the other
            rounds = [o.rps / p.rps for o, p in zip(ours, peer, strict=True)]
            tails = [o.p99_ms / p.p99_ms for o, p in zip(ours, peer, strict=True)]
            print(
                f"  per round   req/s {' '.join(f'{r:.2f}' for r in rounds)} "
                f"(median {_median(rounds):.2f}); p99 {' '.join(f'{t:.2f}' for t in tails)} "
                f"(median {_median(tails):.2f})"
            )
    for label, rows in (ceilings or {}).items():
        rate = _median([r["rps"] for r in rows])
        print(
            f"\n{label} ({args.connections} at a time, no HTTP): {rate:.0f} runs/s, "
            f"p50 {_median([r['p50_ms'] for r in rows]):.1f} ms, "
            f"p99 {_median([r['p99_ms'] for r in rows]):.1f} ms"
        )
        for target in [t for t in targets if t.ceiling == label and results.get(t.label)]:
            served = _median([r.rps for r in results[target.label]])
            print(
                f"  {target.label}: {served / rate:.2f} of the ceiling's runs/s; "
                f"per-run overhead {1000 / served - 1000 / rate:.2f} ms (1/req/s - 1/runs/s)"
            )
            pairs = list(zip(results[target.label], rows, strict=False))
            if len(pairs) > 1:
                shares = [w.rps / c["rps"] for w, c in pairs]
                costs = [1000 / w.rps - 1000 / c["rps"] for w, c in pairs if w.rps > 0]
                print(
                    f"    per round: share {' '.join(f'{x:.2f}' for x in shares)} (median "
                    f"{_median(shares):.2f}); overhead ms {' '.join(f'{x:.1f}' for x in costs)} "
                    f"(median {_median(costs):.1f})"
                )
    bad = [(label, r) for label, rows in results.items() for r in rows if not r.ok]
    for label, r in bad:
        print(
            f"\nWARNING {label}: {r.errors} transport/status errors, {r.bad} incomplete "
            f"answers (not counted in req/s); e.g. {r.bad_sample!r}"
        )


def _verdict(value: float, target: float | None, op: str) -> str:
    if target is None:
        return ""
    met = value >= target if op == ">=" else value <= target
    return f"  (target {op} {target:.2f}: {'met' if met else 'NOT met'})"


# ------------------------------------------------------------------------------- main


def parse_args(
    description: str,
    argv: list[str] | None,
    peer_framework: str,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    if options is not None:
        options(parser)
    parser.add_argument("--duration", type=float, default=10, help="seconds per load (10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--runs", type=int, default=1, help="rounds; medians are printed (1)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per target (2)")
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="both servers without access logs (default: each server's own default logging)",
    )
    parser.add_argument(
        "--peer-framework",
        choices=["agentscope", "text"],
        default=peer_framework,
        help="how the peer runs the agent: through its plain-text stream adapter, or as an "
        f"agentscope Msg stream (default here: {peer_framework})",
    )
    parser.add_argument("--only", action="append", help="run only targets whose label has this")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after measuring, profile the agenthost server with py-spy under the same load",
    )
    return parser.parse_args(argv)


def main(
    description: str,
    build: Callable[[argparse.Namespace], tuple[list[ServerSpec], list[Target], list[Comparison]]],
    argv: list[str] | None = None,
    *,
    peer_framework: str = "text",
    ceilings: Callable[[argparse.Namespace], list[Ceiling]] | None = None,
    extras: Callable[[argparse.Namespace], dict[str, Any]] | None = None,
    options: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """Run a side-by-side benchmark; ``build(args)`` names its servers, targets, comparisons.

    ``peer_framework``: the peer's default path, "text" (its lightest) unless the endpoint
    only streams on the agentscope path. ``ceilings(args)``: in-process runs measured in
    every round after the servers (bench/inprocess.py). ``extras(args)``: measured once at
    the end (it prints its own figures); what it returns goes into the results file.
    ``options(parser)``: the script's own command-line options.
    """
    args = parse_args(description, argv, peer_framework, options)
    try:
        specs, targets, comparisons = build(args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    if args.only:
        targets = [t for t in targets if any(o in t.label for o in args.only)]
    needed = {t.server for t in targets}
    by_name = {s.name: s for s in specs if s.name in needed}
    server_rows: dict[str, list[dict[str, float]]] = {name: [] for name in by_name}
    results: dict[str, list[WrkResult]] = {}
    inprocess: dict[str, list[dict[str, float]]] = {}
    loops = ceilings(args) if ceilings else []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        for round_no in range(1, args.runs + 1):
            for target in targets:
                with fresh_server(by_name[target.server]) as (server, idle_rss):
                    result = measure(server, target, args)
                    server_rows[server.spec.name].append(
                        {"ready_s": server.ready_s, "idle_rss_mb": idle_rss,
                         "rss_after_mb": server.rss_mb()}
                    )  # fmt: skip
                results.setdefault(target.label, []).append(result)
                print(f"[run {round_no}/{args.runs}] {_line(target, result)}", flush=True)
            for loop in loops:
                row = run_ceiling(loop, args)
                inprocess.setdefault(loop.label, []).append(row)
                print(
                    f"[run {round_no}/{args.runs}] {loop.label:<54} {row['rps']:8.0f} runs/s "
                    f"p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms",
                    flush=True,
                )
        for target in targets if args.profile else []:
            if target.server == "agenthost":
                with fresh_server(by_name[target.server]) as (server, _):
                    profile(server, target, args)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print_report(server_rows, results, targets, comparisons, args, inprocess)
    extra = extras(args) if extras else {}
    out = RESULTS / f"{Path(sys.argv[0]).stem}-{stamp}.json"
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "loadavg_end": os.getloadavg(),
                "cpus": os.cpu_count(),
                "servers": server_rows,
                "results": {k: [asdict(r) for r in v] for k, v in results.items()},
                "inprocess": inprocess,
                **extra,
            },
            indent=2,
        )
    )
    print(f"\nresults: {out.relative_to(ROOT)}")
    return 0


def measure(server: Server, target: Target, args: argparse.Namespace) -> WrkResult:
    """Check a sample answer, warm up, load for ``args.duration``, check an answer again."""
    load = {"connections": args.connections, "threads": args.threads}
    if target.driver is None:  # a driver checks a sample and every answer itself
        check_sample(server, target)
    if args.warmup > 0:
        run_wrk(server.url, target, duration=args.warmup, **load)
    result = run_wrk(server.url, target, duration=args.duration, **load)
    if target.driver is None:
        check_sample(server, target)  # still answering in full after the load
    return result


def _line(target: Target, r: WrkResult) -> str:
    line = f"{target.label:<54} {r.rps:8.0f} req/s  p50 {r.p50_ms:6.1f} ms  p99 {r.p99_ms:6.1f} ms"
    return line if r.ok else f"{line}  ({r.errors} errors, {r.bad} incomplete)"


@contextmanager
def fresh_server(spec: ServerSpec) -> Iterator[tuple[Server, float]]:
    """A newly started server (each endpoint is measured on its own) and its idle RSS."""
    server = start_server(spec)
    try:
        time.sleep(1)  # let start-up work (lazy imports, GC) settle before reading idle RSS
        yield server, server.rss_mb()
    finally:
        stop_server(server)
