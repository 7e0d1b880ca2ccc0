"""Schemathesis over the host's own ``/openapi.json``: every operation it documents, with
bodies that fit the schema and bodies that break it, gets no 5xx, and the host still serves.

This fuzzes what the document says; ``test_fuzz_json_bodies`` and ``test_fuzz_a2a`` cover
what it does not (raw bytes, the A2A bindings).
"""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import given, settings
from schemathesis import GenerationMode
from schemathesis.core.result import Err

from agenthost.testing.server import ServerHandle

from .checks import EXAMPLES, FUZZ, no_server_error, still_serving

PER_OPERATION = max(1, EXAMPLES // 6)  # a share of the budget: there are many operations


def without_binary(document: Any) -> Any:
    """The document without ``format: binary``, on which schemathesis's negative mode fails
    inside itself ("Unsupported type: 'Binary'"; schemathesis#3547, #3999, #4520). Those
    fields are base64 strings in JSON anyway."""
    if isinstance(document, dict):
        return {k: without_binary(v) for k, v in document.items()
                if not (k == "format" and v == "binary")}
    if isinstance(document, list):
        return [without_binary(v) for v in document]
    return document


def test_every_documented_operation_gets_no_5xx(server: ServerHandle, http: httpx.Client) -> None:
    schema = schemathesis.openapi.from_dict(without_binary(http.get("/openapi.json").json()))
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # an operation the document gets wrong fails the test
            raise result.err()
        operations.append(result.ok())
    labels = {op.label for op in operations}
    assert "POST /agents/{name}/runs" in labels, f"the document lists only {sorted(labels)}"
    for operation in operations:
        # Path parameters are strings that nothing negates: only a body or a query can be
        # broken (hypothesis would search seconds per operation to say so).
        breakable = bool(len(operation.body) or len(operation.query))
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[: 1 + breakable]:

            @settings(FUZZ, max_examples=PER_OPERATION)
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: Any) -> None:
                kwargs = case.as_transport_kwargs(base_url=server.url)
                method, url = kwargs.pop("method"), kwargs.pop("url")
                if isinstance(kwargs.get("data"), str | bytes):  # requests' name for raw bodies
                    kwargs["content"] = kwargs.pop("data")
                kwargs = {k: v for k, v in kwargs.items()
                          if k in ("headers", "params", "json", "content", "data", "cookies")}
                with http.stream(method, url, **kwargs) as response:
                    body = response.read()
                no_server_error(response.status_code, body, f"{case.operation.label} {kwargs}")

            call()
    still_serving(http)
