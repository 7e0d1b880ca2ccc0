"""Version negotiation (A2A-Version header, pinned versions) and JSON-RPC error codes."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from agenthost.config import parse_config
from agenthost.errors import ConfigError
from agenthost.host import Host
from agenthost.testing.server import ServerHandle

from .a2a_fixtures import WAIT, fetch_card, rpc, serve

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
VERSION_NOT_SUPPORTED = -32009
SEND_1_0 = {"message": {"messageId": "m1", "role": "ROLE_USER", "parts": [{"text": "hi"}]}}
SEND_0_3 = {
    "message": {
        "messageId": "m1",
        "role": "user",
        "kind": "message",
        "parts": [{"kind": "text", "text": "hi"}],
    }
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with serve() as handle:
        yield handle


def error_code(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "result" not in body, body
    return int(body["error"]["code"])


def test_a_request_without_the_header_is_0_3(server: ServerHandle) -> None:
    answer = rpc(server.url, "message/send", SEND_0_3, version=None)
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert result["kind"] == "task" and result["status"]["state"] == "completed"
    # ...so 1.0 method names without the header are refused as a version mismatch.
    assert (
        error_code(rpc(server.url, "SendMessage", SEND_1_0, version=None)) == VERSION_NOT_SUPPORTED
    )


def test_1_0_with_the_header(server: ServerHandle) -> None:
    answer = rpc(server.url, "SendMessage", SEND_1_0, version="1.0")
    assert answer.json()["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"


@pytest.mark.parametrize("method", ["SendMessage", "message/send", "GetTask"])
def test_an_unsupported_version_is_refused_with_32009(server: ServerHandle, method: str) -> None:
    answer = rpc(server.url, method, SEND_0_3, version="2.0")
    assert error_code(answer) == VERSION_NOT_SUPPORTED
    assert answer.json()["id"] == 1
    assert "2.0" in answer.json()["error"]["message"]


def test_a_0_3_method_under_version_1_0_is_not_found(server: ServerHandle) -> None:
    answer = rpc(server.url, "message/send", SEND_0_3, version="1.0")
    assert error_code(answer) == METHOD_NOT_FOUND
    assert "SendMessage" in answer.json()["error"]["message"]


def test_rest_refuses_an_unsupported_version(server: ServerHandle) -> None:
    answer = httpx.get(server.url + "/tasks/abc", headers={"A2A-Version": "2.0"}, timeout=WAIT)
    assert answer.status_code == 400
    assert "2.0" in answer.text
    wrong_path = httpx.get(server.url + "/v1/tasks/abc", headers={"A2A-Version": "1.0"})
    assert wrong_path.status_code == 400 and "0.3" in wrong_path.text
    missing = httpx.get(server.url + "/tasks/abc", headers={"A2A-Version": "1.0"}, timeout=WAIT)
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", PARSE_ERROR),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "SendMessage", ', PARSE_ERROR),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "SendMessage", "params": {}}', INVALID_REQUEST),
        (b'{"jsonrpc": "2.0", "id": 1}', INVALID_REQUEST),
        (b'{"jsonrpc": "2.0", "id": true, "method": "GetTask"}', INVALID_REQUEST),
        (b"[]", INVALID_REQUEST),
        (b"42", INVALID_REQUEST),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "NoSuchMethod"}', METHOD_NOT_FOUND),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": 5}}',
            INVALID_PARAMS,
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "SendMessage", '
            b'"params": {"message": {"parts": [{"text": 7}]}}}',
            INVALID_PARAMS,
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": ["x"]}}',
            INVALID_PARAMS,
        ),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {"message": 5}}',
            INVALID_REQUEST,
        ),  # the 0.3 schema validates params as part of the request
    ],
)
def test_bad_json_rpc_gets_the_right_code_never_a_500(
    server: ServerHandle, body: bytes, code: int
) -> None:
    version = "0.3" if b"message/send" in body else "1.0"
    answer = httpx.post(
        server.url,
        content=body,
        headers={"content-type": "application/json", "A2A-Version": version},
        timeout=WAIT,
    )
    assert error_code(answer) == code


def test_pinned_to_1_0_only() -> None:
    with serve(frontend={"versions": ["1.0"]}) as server:
        card = httpx.get(server.url + "/.well-known/agent-card.json").json()
        assert {i["protocolVersion"] for i in card["supportedInterfaces"]} == {"1.0"}
        no_header = rpc(server.url, "message/send", SEND_0_3, version=None)
        assert error_code(no_header) == VERSION_NOT_SUPPORTED
        assert "A2A-Version: 1.0" in no_header.json()["error"]["message"]
        assert httpx.post(server.url + "/v1/message:send", json=SEND_0_3).status_code == 404
        ok = rpc(server.url, "SendMessage", SEND_1_0, version="1.0")
        assert ok.json()["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"


def test_pinned_to_0_3_only() -> None:
    with serve(frontend={"versions": ["0.3"]}) as server:
        assert error_code(rpc(server.url, "SendMessage", SEND_1_0)) == VERSION_NOT_SUPPORTED
        ok = rpc(server.url, "message/send", SEND_0_3, version=None)
        assert ok.json()["result"]["status"]["state"] == "completed"


def test_a_version_this_plugin_cannot_serve_refuses_to_start() -> None:
    config = parse_config({"frontends": {"a2a": {"versions": ["2.0"]}}}, "agenthost.toml")
    with pytest.raises(ConfigError, match=r"frontends\.a2a\.versions.*'2\.0'"):
        Host(config)


async def test_the_card_lists_one_interface_per_binding_and_version(server: ServerHandle) -> None:
    card = await fetch_card(server.url)
    pairs = {(i.protocol_binding, i.protocol_version) for i in card.supported_interfaces}
    assert pairs == {(b, v) for b in ("JSONRPC", "HTTP+JSON") for v in ("1.0", "0.3")}
    assert card.supported_interfaces[0].protocol_version == "1.0"  # newest first
    assert card.capabilities.streaming and card.capabilities.push_notifications
    assert card.skills and card.name == "echo"
