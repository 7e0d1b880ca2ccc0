"""Hostile bodies on the Responses and Chat Completions endpoints: an OpenAI error body naming
the problem, never a 500, and the openai client still gets answers afterwards.

The sqlite store: a lone surrogate used to get as far as the store, which cannot encode it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from agenthost.testing.server import ServerHandle

from .openai_agents import assert_error_shape, serve

PATHS = ["/v1/responses", "/v1/chat/completions"]
DEEP = b"[" * 100_000 + b"]" * 100_000
LIMIT = 1024 * 1024
BODIES = {  # one request per endpoint, with {} where the hostile part goes
    "/v1/responses": b'{"model": "echo", "input": %s}',
    "/v1/chat/completions": b'{"model": "echo", "messages": [{"role": "user", "content": %s}]}',
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    db = tmp_path_factory.mktemp("store") / "host.db"
    with serve(host={"max_body_bytes": LIMIT}, store={"backend": "sqlite", "path": str(db)}) as s:
        yield s


@pytest.fixture
def http(server: ServerHandle) -> Iterator[httpx.Client]:
    headers = {"content-type": "application/json"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as client:
        yield client


def refused(response: httpx.Response, status: int, code: str, needle: str) -> None:
    error = assert_error_shape(response.json(), status, response.status_code)
    assert error["code"] == code
    assert needle in error["message"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("hostile", "code", "needle"),
    [
        (b'"\\ud800"', "lone_surrogate", "(\\ud800)"),
        (b'"ok \\udc00"', "lone_surrogate", "(\\udc00)"),
        (b'"\xc3\x28"', "invalid_utf8", "not UTF-8: byte 0xc3"),
        (b"NaN", "invalid_json", "NaN"),
        (b"[" * 100 + b'"x"' + b"]" * 100, "too_deep", "deeper than 64"),
    ],
)
def test_a_hostile_value_in_a_request_is_a_400(
    http: httpx.Client, path: str, hostile: bytes, code: str, needle: str
) -> None:
    refused(http.post(path, content=BODIES[path] % hostile), 400, code, needle)


@pytest.mark.parametrize("path", PATHS)
def test_json_nested_100000_levels_deep_is_a_400(http: httpx.Client, path: str) -> None:
    refused(http.post(path, content=DEEP), 400, "too_deep", "nested deeper than 64")


@pytest.mark.parametrize("path", PATHS)
def test_a_chunked_body_over_the_limit_is_a_413(http: httpx.Client, path: str) -> None:
    chunks = iter([b" " * (LIMIT // 2)] * 3)
    refused(http.post(path, content=chunks), 413, "request_too_large", f"limit of {LIMIT}")


def test_the_openai_client_still_gets_answers(http: httpx.Client, server: ServerHandle) -> None:
    for path in PATHS:
        http.post(path, content=DEEP)
        http.post(path, content=BODIES[path] % b'"\\ud800"')
    client = OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    response = client.responses.create(model="echo", input="still here \U0001f600")
    assert response.output_text == "still here \U0001f600 "
    completion = client.chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "and here"}]
    )
    assert completion.choices[0].message.content == "and here "


def test_paired_surrogate_escapes_are_one_character(http: httpx.Client) -> None:
    body = BODIES["/v1/responses"] % b'"\\ud83d\\ude00"'
    response = http.post("/v1/responses", content=body)
    assert response.status_code == 200, response.text
    assert response.json()["output"][0]["content"][0]["text"] == "\U0001f600 "


def test_the_store_path_is_a_real_file(server: ServerHandle) -> None:
    """Guards the premise of this module: runs above went through sqlite, not memory."""
    path = Path(server.app.host.config.store["path"])
    assert path.is_file() and path.stat().st_size > 0
