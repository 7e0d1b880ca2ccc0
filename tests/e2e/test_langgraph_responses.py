"""LangGraph agents over the OpenAI Responses API, driven by the official ``openai`` client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openai import OpenAI
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .langgraph_http import EXAMPLE

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.langgraph_agents:coder"},
        "counter": {"target": f"{EXAMPLE}:graph"},
    },
    "frontends": {"responses": {}},
}


def strict(model: Any, data: BaseModel) -> Any:
    """Validate exactly the fields the server sent with the SDK's own type."""
    raw = data.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return TypeAdapter(model).validate_python(raw)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as handle:
        yield handle


@pytest.fixture
def client(server: ServerHandle) -> OpenAI:
    return OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=60)


def test_run_python_is_a_code_interpreter_call_and_the_sandbox_persists(client: OpenAI) -> None:
    first = client.responses.create(model="coder", input="x = 6 * 7\nx")
    strict(Response, first)
    assert first.status == "completed"
    calls = [o for o in first.output if o.type == "code_interpreter_call"]
    assert len(calls) == 1 and calls[0].code == "x = 6 * 7\nx"
    assert [o.logs for o in calls[0].outputs or [] if o.type == "logs"] == ["42"]
    assert first.output_text.endswith("Result: 42")
    second = client.responses.create(model="coder", input="x + 1", previous_response_id=first.id)
    assert second.output_text.endswith("Result: 43")  # same conversation: same thread, sandbox


def test_streaming_text_deltas_from_the_graph(client: OpenAI) -> None:
    stream = client.responses.create(model="counter", input="one two three", stream=True)
    events = [strict(ResponseStreamEvent, e) for e in stream]
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 2
    assert "".join(deltas) == "Let me count.Your message has 3 words."
    assert events[-1].response.output_text == "Let me count.Your message has 3 words."
    assert [e.sequence_number for e in events] == list(range(len(events)))
