"""agenthost's native SSE endpoint with agenthost-otel off, installed but not configured, and on
(100 % sampling, spans and metrics exported over OTLP/HTTP to a loopback sink), same load.

    uv run python plugins/otel/bench/native_sse_otel.py --runs 3 [--rotate]   # wrk

Built on bench/harness.py (bench/native_sse.py's harness): each round starts each variant fresh,
warms it up and loads it with wrk, one variant after the other; medians over the rounds. The
agent is bench/agents.py:tokens20 (20 text tokens, a fresh session per request).

- off: only the built-ins load (AGENTHOST_LOAD_PLUGINS empty): no observer, as if not installed.
- installed: the plugin loads and is served with its defaults (no endpoint, prometheus off):
  it subscribes to nothing.
- on: ``[frontends.otel] endpoint = <sink>, sampling_ratio = 1.0``: a span per run, metrics.
  The sink is an OTLP/HTTP receiver in this process (it answers 200 and counts what came); it
  takes CPU of the same machine, as a local collector would.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))

import harness
from harness import AGENT_NAME, Comparison, Target

OFF = "native SSE, otel off (not loaded)"
INSTALLED = "native SSE, otel installed, not configured"
ON = "native SSE, otel on (100 % sampling, OTLP/HTTP)"
RECEIVED: dict[str, int] = {"/v1/traces": 0, "/v1/metrics": 0, "bytes": 0}


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        size = int(self.headers.get("content-length", 0))
        self.rfile.read(size)
        RECEIVED[self.path] = RECEIVED.get(self.path, 0) + 1
        RECEIVED["bytes"] += size
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start_sink() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, daemon=True, name="otlp-sink").start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def check_native(raw: bytes) -> None:
    events = [data for _, data in harness.sse_events(raw)]
    harness.expect_tokens([e["text"] for e in events if e["type"] == "message.delta"], "native")
    if events[-1]["type"] != "run.completed":
        raise harness.BenchError(f"native: last event is {events[-1]['type']}")


class Rotating(list[Any]):
    """The targets, one place further each time the harness walks them: over 3 rounds each
    variant goes first, second and third once (the machine's load drifts within a round)."""

    def __init__(self, items: list[Any]) -> None:
        super().__init__(items)
        self.turn = 0

    def __iter__(self) -> Any:
        items = list(super().__iter__())
        shift = self.turn % len(items) if items else 0
        self.turn += 1
        return iter(items[shift:] + items[:shift])


def options(parser: Any) -> None:
    parser.add_argument(
        "--rotate", action="store_true", help="rotate the variants' order from round to round"
    )


def build(args: Any) -> tuple[list[Any], list[Any], list[Any]]:
    sink = start_sink()
    on_config = (
        f'[frontends.native]\n\n[frontends.otel]\nendpoint = "{sink}"\n'
        'sampling_ratio = 1.0\nservice_name = "bench"\n'
    )
    variants = [
        (OFF, "agenthost-otel-off",
         harness.agenthost_spec(quiet=args.quiet, plugins=[], config="\n")),
        (INSTALLED, "agenthost-otel-installed",
         harness.agenthost_spec(quiet=args.quiet, plugins=["otel"], config="\n")),
        (ON, "agenthost-otel-on",
         harness.agenthost_spec(quiet=args.quiet, plugins=["otel"], config=on_config)),
    ]  # fmt: skip
    body = json.dumps({"input": "hi", "session_id": "{{SID}}"})
    servers, targets = [], []
    for label, name, spec in variants:
        servers.append(dataclasses.replace(spec, name=name))
        targets.append(
            Target(
                label,
                name,
                f"/agents/{AGENT_NAME}/runs",
                body,
                expects=[harness.FULL_TEXT, '"type":"run.completed"'],
                check=check_native,
            )
        )
    if args.rotate:
        # harness.main walks the targets once (the servers they need) before the rounds.
        targets = Rotating(targets[-1:] + targets[:-1])
    return (
        servers,
        targets,
        [Comparison(ON, OFF, None, None), Comparison(INSTALLED, OFF, None, None)],
    )


def extras(args: Any) -> dict[str, Any]:
    print(f"\nOTLP sink received: {RECEIVED}")
    return {"otlp_sink": dict(RECEIVED), "loadavg_now": os.getloadavg()}


if __name__ == "__main__":
    sys.exit(harness.main(__doc__.splitlines()[0], build, extras=extras, options=options))
