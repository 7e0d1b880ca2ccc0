"""Fuzzed bodies against the native, Responses and Chat endpoints of a real server: never a
5xx, every 4xx names its problem, and the host still serves a run afterwards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis.strategies import SearchStrategy

from .checks import FUZZ, exchange, no_server_error, still_serving
from .strategies import CHAT_CREATE, NATIVE_RUN, RESPONSES_CREATE, encoded

JSON = {"content-type": "application/json"}
ROUTES = {
    "/agents/echo/runs": NATIVE_RUN,
    "/v1/responses": RESPONSES_CREATE,
    "/v1/chat/completions": CHAT_CREATE,
}
# What a stream says when the server, not the request, failed.
SERVER_FAULTS = (b'"server_error"', b'"internal_error"')


@pytest.mark.parametrize("path", list(ROUTES))
def test_fuzzed_bodies_get_no_5xx(http: httpx.Client, path: str) -> None:
    values: SearchStrategy[Any] = ROUTES[path]

    @FUZZ
    @given(body=encoded(values))
    def post(body: bytes) -> None:
        status, answer = exchange(http, "POST", path, content=body, headers=JSON)
        no_server_error(status, answer, f"POST {path} {body[:300]!r}")
        assert not any(fault in answer for fault in SERVER_FAULTS), answer[:600]

    post()
    still_serving(http)
