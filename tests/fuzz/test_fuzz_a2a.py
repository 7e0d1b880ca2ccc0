"""Fuzzed requests against both A2A HTTP bindings (JSON-RPC and HTTP+JSON, 1.0 and 0.3): never
a 5xx or a JSON-RPC internal error (-32603), every 4xx names its problem, and the agent
still answers afterwards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from hypothesis import given
from hypothesis import strategies as st

from agenthost_a2a.endpoint import V03_JSONRPC_METHODS, rest_paths

from .checks import FUZZ, exchange, no_server_error, still_serving
from .strategies import (
    A2A_MESSAGE_03,
    A2A_MESSAGE_10,
    A2A_PARAMS,
    JSON_VALUES,
    PUSH_CONFIG,
    TEXT,
    encoded,
    objects,
)

JSON = {"content-type": "application/json"}
METHODS = sorted(JsonRpcDispatcher.METHOD_TO_MODEL) + sorted(V03_JSONRPC_METHODS)
VERSIONS = st.sampled_from([{"A2A-Version": "1.0"}, {"A2A-Version": "1.0"}, {},
                            {"A2A-Version": "0.3"}, {"A2A-Version": "7"}, {"A2A-Version": ""}])
PREFIXES = st.sampled_from(["", "/a2a/echo"])  # the default agent at the root, and by name
ENVELOPES = objects(
    {"jsonrpc": st.just("2.0"), "id": st.one_of(st.integers(), TEXT, st.none()),
     "method": st.one_of(st.sampled_from(METHODS), TEXT), "params": A2A_PARAMS},
    required=("jsonrpc", "method"),
)
REST_BODIES = st.one_of(
    objects({"message": st.one_of(A2A_MESSAGE_10, A2A_MESSAGE_03),
             "configuration": objects({"historyLength": st.integers(-5, 50),
                                       "returnImmediately": st.booleans(),
                                       "blocking": st.booleans()}),
             "metadata": JSON_VALUES}, required=("message",)),
    A2A_PARAMS,
    PUSH_CONFIG,
)
QUERIES = st.dictionaries(
    st.sampled_from(["status", "pageSize", "pageToken", "contextId", "historyLength",
                     "includeArtifacts", "statusTimestampAfter"]),
    TEXT, max_size=3,
)
ROUTES = [(path, method) for path, methods in rest_paths(True) for method in methods
          if method != "HEAD"]
INTERNAL = b"-32603"


def escaped(value: str) -> str:
    """Percent-escaped UTF-8, lone surrogates included (as a hostile client sends them)."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def message(text: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {
        "messageId": f"m-{text}", "role": "ROLE_USER", "parts": [{"text": text}]}}}


@pytest.fixture(scope="module")
def task_id(http: httpx.Client) -> str:
    """A real task, so that fuzzed task paths and ids sometimes name one."""
    answer = http.post("/", json=message("seed"), headers={"A2A-Version": "1.0"})
    return str(answer.json()["result"]["task"]["id"])


def agent_answers(http: httpx.Client) -> None:
    answer = http.post("/a2a/echo", json=message("still here"), headers={"A2A-Version": "1.0"})
    assert answer.json()["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"


def test_fuzzed_json_rpc_gets_no_5xx_and_no_internal_error(http: httpx.Client) -> None:
    @FUZZ
    @given(body=encoded(ENVELOPES), version=VERSIONS, prefix=PREFIXES)
    def post(body: bytes, version: dict[str, str], prefix: str) -> None:
        status, answer = exchange(http, "POST", prefix or "/", content=body,
                                  headers={**JSON, **version})
        what = f"JSON-RPC {version} {body[:300]!r}"
        no_server_error(status, answer, what)
        assert INTERNAL not in answer, f"{what} -> {answer[:600]!r}"

    post()
    agent_answers(http)
    still_serving(http)


def test_fuzzed_http_json_gets_no_5xx(http: httpx.Client, task_id: str) -> None:
    def path_of(template: str, draw: Any) -> str:
        return re.sub(r"\{\w+\}", lambda _: escaped(draw(st.one_of(st.just(task_id), TEXT))),
                      template)

    @FUZZ
    @given(data=st.data())
    def call(data: st.DataObject) -> None:
        template, method = data.draw(st.sampled_from(ROUTES))
        v03 = template.startswith("/v1/")
        # mostly the version the path belongs to, so that most calls get past the gate
        right = {} if v03 else {"A2A-Version": "1.0"}
        version = data.draw(st.one_of(st.just(right), st.just(right), VERSIONS))
        url = data.draw(PREFIXES) + path_of(template, data.draw)
        kwargs: dict[str, Any] = {"headers": {**JSON, **version}}
        if method == "GET":
            query = data.draw(QUERIES)
            url += "?" + "&".join(f"{k}={escaped(v)}" for k, v in query.items())
        else:
            kwargs["content"] = data.draw(encoded(REST_BODIES))
        status, answer = exchange(http, method, url, **kwargs)
        no_server_error(status, answer, f"{method} {url} {kwargs}")
        assert b'"INTERNAL"' not in answer, f"{method} {url} {kwargs} -> {answer[:600]!r}"

    call()
    agent_answers(http)
    still_serving(http)


@pytest.fixture(autouse=True)
def _no_push_targets(server: Any) -> Iterator[None]:
    """Fuzzed push configs name only loopback, private or broken URLs, which the default push
    policy refuses: nothing is ever sent off this machine. Checked, not assumed."""
    frontend = next(f for f in server.app.host.frontends if f.name == "a2a")
    assert frontend.options.push_allowed_hosts is None
    yield
