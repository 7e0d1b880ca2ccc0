"""What every fuzzed request must show: no 5xx, a 4xx that names its problem, a complete
answer (streams read to the end), and a host still serving afterwards."""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
from hypothesis import HealthCheck, settings

WAIT = 30.0  # upper bound on one request: a hang fails instead of blocking
EXAMPLES = int(os.environ.get("AGENTHOST_FUZZ_EXAMPLES", "50"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # one example is a real HTTP exchange, sometimes a whole run
    database=None,  # nothing written into the work tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
)


def exchange(http: httpx.Client, method: str, url: str, **kwargs: Any) -> tuple[int, bytes]:
    """Send one request and read its answer to the end (a stream included)."""
    with http.stream(method, url, **kwargs) as response:
        return response.status_code, response.read()


def no_server_error(status: int, body: bytes, what: str) -> None:
    assert status < 500, f"{what} -> {status}: {body[:600]!r}"
    if status >= 400 and status != 499:
        error = json.loads(body).get("error")
        assert error, f"{what} -> {status} without an error: {body[:600]!r}"


def still_serving(http: httpx.Client) -> None:
    assert http.get("/healthz").status_code == 200
    run = http.post("/agents/echo/runs", json={"input": "still here", "stream": False})
    assert run.status_code == 200, run.text
    assert run.json()["run"]["status"] == "completed"
