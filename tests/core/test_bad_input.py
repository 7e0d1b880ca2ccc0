"""Hostile input to the host over real HTTP: each case is a 4xx naming the problem, never a 500
or a hang, and the host keeps serving.

Bodies go through ``agenthost.decode`` (one decoder for every frontend), sizes through
``BodyLimitMiddleware``. The size tests serve from a child process, so that its peak RSS is
the server's alone.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.http import BodyLimitMiddleware
from agenthost.testing.server import ServerHandle, running_server

from .agents import echo

ROOT = Path(__file__).resolve().parents[2]
JSON = {"content-type": "application/json"}
MIB = 1024 * 1024
WAIT = 60.0  # upper bound on any one request: a hang fails instead of blocking


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerHandle]:
    # sqlite: a lone surrogate used to reach it and fail there (it cannot encode one)
    config = {"store": {"backend": "sqlite", "path": str(tmp_path / "host.db")}}
    app = AgentApp(parse_config(config))
    app.agent("echo")(echo)
    with running_server(app) as handle:
        yield handle


@pytest.fixture
def client(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=WAIT) as c:
        yield c


def run_completes(client: httpx.Client, text: str = "still here") -> None:
    response = client.post("/agents/echo/runs", json={"input": text, "stream": False})
    assert response.status_code == 200, response.text
    assert response.json()["run"]["status"] == "completed"


def refused(response: httpx.Response, status: int, code: str, needle: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert needle in error["message"]


def nested(depth: int) -> bytes:
    """A run body whose JSON nests ``depth`` containers (the body object included)."""
    inner = b"[" * (depth - 2) + b"]" * (depth - 2)
    return b'{"input": "x", "stream": false, "metadata": {"k": ' + inner + b"}}"


# -- bodies ----------------------------------------------------------------------------------


def test_json_nested_100000_levels_deep_is_a_400(client: httpx.Client) -> None:
    for body in (b"[" * 100_000 + b"]" * 100_000, nested(100_000)):
        response = client.post("/agents/echo/runs", content=body, headers=JSON)
        refused(response, 400, "too_deep", "nested deeper than 64 arrays and objects")
    run_completes(client)


def test_depth_limit_is_64_containers(client: httpx.Client) -> None:
    response = client.post("/agents/echo/runs", content=nested(64), headers=JSON)
    assert response.status_code == 200, response.text
    refused(client.post("/agents/echo/runs", content=nested(65), headers=JSON),
            400, "too_deep", "deeper than 64")


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        (b'{"input": "\xff"}', "invalid_utf8", "not UTF-8: byte 0xff at offset 11"),
        # a surrogate encoded as UTF-8 bytes: not UTF-8 either
        (b'{"input": "\xed\xa0\x80"}', "invalid_utf8", "not UTF-8: byte 0xed"),
        (b'{"input": NaN}', "invalid_json", "NaN is not a JSON value"),
        (b'{"input": "x", "metadata": {"n": -Infinity}}', "invalid_json", "-Infinity"),
        (b'{"input": "x", "metadata": {"n": 1e999}}', "invalid_json", "1e999 is out of range"),
        (b'{"input": "x", "metadata": {"n": ' + b"9" * 5000 + b"}}", "invalid_json",
         "4300 digits"),
        (b'\xef\xbb\xbf{"input": "x"}', "invalid_json", "BOM"),
        (b"{not json", "invalid_json", "not valid JSON"),
        (b" \r\n", "empty_body", "empty"),
        (b'{"input": "\\ud800"}', "lone_surrogate", "(\\ud800)"),
        (b'{"input": "x", "session_id": "a\\udfffb"}', "lone_surrogate", "(\\udfff)"),
        (b'{"input": "x", "metadata": {"\\udbff": 1}}', "lone_surrogate", "(\\udbff)"),
        (b'{"messages": [{"role": "user", "parts": [{"type": "text", "text": "\\ude00\\ud83d"}]}]}',
         "lone_surrogate", "(\\ude00)"),
    ],
)
def test_a_body_that_is_not_strict_json_is_a_400_naming_why(
    client: httpx.Client, body: bytes, code: str, needle: str
) -> None:
    refused(client.post("/agents/echo/runs", content=body, headers=JSON), 400, code, needle)
    run_completes(client)


def test_surrogate_pairs_and_escaped_backslashes_are_not_refused(client: httpx.Client) -> None:
    body = b'{"input": "\\ud83d\\ude00 \\\\ud800", "stream": false}'
    response = client.post("/agents/echo/runs", content=body, headers=JSON)
    assert response.status_code == 200, response.text
    text = response.json()["run"]["output"][0]["parts"][0]["text"]
    assert text == "\U0001f600 \\ud800 "  # the pair is one character; \\ud800 is six


def test_the_store_never_sees_a_lone_surrogate(client: httpx.Client) -> None:
    body = b'{"input": "x", "session_id": "s\\ud800", "background": true}'
    refused(client.post("/agents/echo/runs", content=body, headers=JSON), 400,
            "lone_surrogate", "\\ud800")
    for _ in range(3):  # the sqlite store goes on storing runs (it failed on the surrogate)
        run_completes(client)


# -- sizes, headers and slow clients (a server in a child process) ---------------------------

LIMIT = 256 * 1024
CHILD = textwrap.dedent(
    """
    import sys
    import uvicorn
    from agenthost import AgentApp
    from agenthost.config import parse_config
    from tests.core.agents import echo

    app = AgentApp(parse_config({"host": {"max_body_bytes": %d}}))
    app.agent("echo")(echo)
    uvicorn.run(app, fd=int(sys.argv[1]), log_level="warning")
    """
) % LIMIT


class ChildServer:
    def __init__(self, process: subprocess.Popen[bytes], port: int):
        self.process = process
        self.address = ("127.0.0.1", port)
        self.url = f"http://127.0.0.1:{port}"

    def peak_rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc/<pid>/status")


@pytest.fixture(scope="module")
def child() -> Iterator[ChildServer]:
    # The test binds the port and hands the listening socket over: no port race, and a
    # request sent before the child accepts waits in the backlog instead of failing.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    env = {**os.environ, "AGENTHOST_LOAD_PLUGINS": ""}
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(listener.fileno())],
        pass_fds=[listener.fileno()], cwd=ROOT, env=env,
    )
    server = ChildServer(process, listener.getsockname()[1])
    listener.close()
    try:
        assert httpx.get(server.url + "/healthz", timeout=WAIT).status_code == 200
        yield server
    finally:
        process.terminate()
        process.wait(WAIT)


@pytest.fixture
def child_client(child: ChildServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=child.url, timeout=WAIT) as c:
        yield c


def megabytes(count: int) -> Iterator[bytes]:
    chunk = b"x" * MIB
    for _ in range(count):
        yield chunk


def test_100_mb_bodies_get_413_and_the_server_does_not_grow(
    child: ChildServer, child_client: httpx.Client
) -> None:
    declared = {**JSON, "content-length": str(100 * MIB)}
    # once small, so whatever a first refusal allocates is in the baseline
    refused(child_client.post("/agents/echo/runs", content=b"x" * (LIMIT + 1), headers=JSON),
            413, "request_too_large", f"limit of {LIMIT} bytes")
    run_completes(child_client)
    before = child.peak_rss_kib()
    response = child_client.post("/agents/echo/runs", content=megabytes(100), headers=declared)
    refused(response, 413, "request_too_large", "host.max_body_bytes")
    response = child_client.post("/agents/echo/runs", content=megabytes(100), headers=JSON)
    assert "content-length" not in response.request.headers  # it went chunked
    refused(response, 413, "request_too_large", "host.max_body_bytes")
    grown = child.peak_rss_kib() - before
    assert grown < 4 * 1024, f"the server's peak RSS grew by {grown} KiB"
    run_completes(child_client)


def test_a_64_kb_header_gets_431(child_client: httpx.Client) -> None:
    response = child_client.get("/agents", headers={"x-filler": "a" * 65536})
    refused(response, 431, "headers_too_large", "over the limit of 32768 bytes")
    assert child_client.get("/agents", headers={"x-filler": "a" * 16384}).status_code == 200
    run_completes(child_client)


def test_ten_slowloris_connections_do_not_hold_up_runs(
    child: ChildServer, child_client: httpx.Client
) -> None:
    head = b"POST /agents/echo/runs HTTP/1.1\r\nHost: x\r\n"
    slow = []
    try:
        for i in range(10):
            conn = socket.create_connection(child.address, timeout=WAIT)
            # half never finish their headers, half never finish their body
            conn.sendall(head if i % 2 else head + b"Content-Length: 1000\r\n\r\n{")
            slow.append(conn)
        for turn in range(5):
            for i, conn in enumerate(slow):
                conn.sendall(b"a" if i % 2 else b" ")  # one more byte each
            run_completes(child_client, f"run {turn}")
        for conn in slow:  # still waiting for the rest: nothing was answered or dropped
            conn.setblocking(False)
            with pytest.raises(BlockingIOError):
                conn.recv(1)
    finally:
        for conn in slow:
            conn.close()
    run_completes(child_client)


# -- the limit holds whatever the app does with it ------------------------------------------


async def swallowing(request: Request) -> JSONResponse:
    """Reads the body as an SDK does, answering any failure with 500."""
    try:
        body = await request.body()
    except Exception as exc:
        return JSONResponse({"error": type(exc).__name__}, status_code=500)
    return JSONResponse({"read": len(body)})


async def failing(request: Request) -> Any:
    await request.body()
    return JSONResponse({})


def test_the_limit_is_a_413_even_when_the_app_swallows_or_fails_on_it() -> None:
    """A bare Starlette app (no agenthost handlers): the middleware alone decides."""
    app = Starlette(routes=[Route("/swallow", swallowing, methods=["POST"]),
                            Route("/fail", failing, methods=["POST"])])
    with running_server(BodyLimitMiddleware(app, limit=1024)) as server, \
            httpx.Client(base_url=server.url, timeout=WAIT) as client:
        assert client.post("/swallow", content=b"x" * 1024).json() == {"read": 1024}
        for path in ("/swallow", "/fail"):
            for body in (b"x" * 1025, iter([b"x" * 600, b"x" * 600])):  # declared, chunked
                refused(client.post(path, content=body), 413, "request_too_large",
                        "limit of 1024 bytes")
