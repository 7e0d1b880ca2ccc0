"""Hostile bodies on every A2A binding: the binding's own error shape, never a 500, and the
agent still answers the a2a-sdk client afterwards.

JSON-RPC: -32700 for a body that is not JSON text, -32600 for JSON the host refuses (too
deep, a lone surrogate, too large; the last also HTTP 413). HTTP+JSON: ``{"error": {"code",
"status", "message"}}`` with the HTTP status in ``code``.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from a2a.types import TaskState

from agenthost.testing.server import ServerHandle

from .a2a_fixtures import (
    WAIT,
    client_for,
    final_state,
    send,
    serve,
    task_id_of,
    user_message,
)

LIMIT = 1024 * 1024
DEEP = b"[" * 100_000 + b"]" * 100_000
NOT_UTF8 = b'{"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"x": "\xff"}}'
MESSAGE_10 = (
    b'{"message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "\\ud800"}]}}'
)
SURROGATE_RPC = b'{"jsonrpc": "2.0", "id": 7, "method": "SendMessage", "params": %s}' % MESSAGE_10
V10 = {"A2A-Version": "1.0"}
REST = [  # (path, headers): every HTTP+JSON route that takes a message
    ("/message:send", V10),
    ("/message:stream", V10),
    ("/v1/message:send", {}),
    ("/v1/message:stream", {}),
]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with serve(host={"max_body_bytes": LIMIT}) as handle:
        yield handle


@pytest.fixture
def http(server: ServerHandle) -> Iterator[httpx.Client]:
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=WAIT) as client:
        yield client


def rpc_error(response: httpx.Response, code: int, needle: str, status: int = 200) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["jsonrpc"] == "2.0"
    assert body["error"]["code"] == code, body
    assert needle in body["error"]["message"]


def rest_error(response: httpx.Response, status: int, needle: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status
    assert error["status"] in ("INVALID_ARGUMENT", "RESOURCE_EXHAUSTED")
    assert needle in error["message"]


def over_the_limit() -> Iterator[bytes]:
    for _ in range(3):  # chunked: no Content-Length to refuse it by
        yield b" " * (LIMIT // 2)


@pytest.mark.parametrize("version", [V10, {}])
def test_json_rpc_refuses_bad_bodies_with_its_own_codes(
    http: httpx.Client, version: dict[str, str]
) -> None:
    rpc_error(http.post("/", content=DEEP, headers=version), -32600, "nested deeper than 64")
    rpc_error(http.post("/", content=NOT_UTF8, headers=version), -32700, "not UTF-8: byte 0xff")
    rpc_error(http.post("/", content=b"", headers=version), -32700, "empty")
    rpc_error(http.post("/", content=b'{"id": 1,', headers=version), -32700, "not valid JSON")
    rpc_error(http.post("/", content=SURROGATE_RPC, headers=version), -32600, "\\ud800")
    response = http.post("/", content=over_the_limit(), headers=version)
    rpc_error(response, -32600, f"limit of {LIMIT} bytes", status=413)


@pytest.mark.parametrize(("path", "headers"), REST)
def test_http_json_refuses_bad_bodies_in_the_a2a_error_shape(
    http: httpx.Client, path: str, headers: dict[str, str]
) -> None:
    rest_error(http.post(path, content=DEEP, headers=headers), 400, "nested deeper than 64")
    rest_error(http.post(path, content=b'{"a": "\xff"}', headers=headers), 400, "not UTF-8")
    rest_error(http.post(path, content=MESSAGE_10, headers=headers), 400, "\\ud800")
    rest_error(http.post(path, content=over_the_limit(), headers=headers), 413, "limit of")
    declared = http.post(path, content=b" " * (LIMIT + 1), headers=headers)
    rest_error(declared, 413, "host.max_body_bytes")


@pytest.mark.parametrize(
    "body", [b"", b"{", b"[]", b'{"message": 5}', b'{"message": {"parts": "x"}}', b"null"]
)
def test_the_0_3_streaming_route_answers_a_malformed_body_with_a_400(
    http: httpx.Client, body: bytes
) -> None:
    """It used to start the event stream and break it (a 500) on any of these."""
    response = http.post("/v1/message:stream", content=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("binding", ["JSONRPC", "HTTP+JSON"])
@pytest.mark.parametrize("version", ["1.0", "0.3"])
async def test_the_agent_still_answers_after_the_bad_bodies(
    http: httpx.Client, server: ServerHandle, binding: str, version: str
) -> None:
    for path, headers in REST:
        http.post(path, content=DEEP, headers=headers)
        http.post(path, content=over_the_limit(), headers=headers)
    client = await client_for(server.url, binding, version, streaming=True)
    events = await send(client, user_message("hello there"))
    assert final_state(events) == TaskState.TASK_STATE_COMPLETED


@pytest.mark.parametrize(("path", "headers"), [("/v1/tasks/nope:subscribe", {}),
                                               ("/tasks/nope:subscribe", V10)])
def test_subscribing_over_http_json_to_no_task_is_a_json_404(
    http: httpx.Client, path: str, headers: dict[str, str]
) -> None:
    """A stream that fails before its first event answers the error, not a broken stream."""
    for method in ("GET", "POST"):
        response = http.request(method, path, headers=headers)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["status"] == "NOT_FOUND"


@pytest.mark.parametrize(("path", "headers"), [("/v1/tasks/{}", {}), ("/tasks/{}", V10),
                                               ("/tasks", V10)])
async def test_an_integer_query_parameter_that_is_not_one_is_a_400(
    http: httpx.Client, server: ServerHandle, path: str, headers: dict[str, str]
) -> None:
    """Found by tests/fuzz: the SDK's 0.3 GetTask answered 500 to ?historyLength=echo."""
    client = await client_for(server.url, "JSONRPC", "1.0")
    task = task_id_of(await send(client, user_message("one task")))
    for query in ("historyLength=echo", "pageSize=1.5"):
        response = http.get(path.format(task) + "?" + query, headers=headers)
        assert response.status_code == 400, response.text
        assert "is not an integer" in response.json()["error"]["message"]
