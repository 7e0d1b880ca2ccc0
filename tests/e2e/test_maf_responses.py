"""MAF agents over the OpenAI Responses API, driven by the official ``openai`` client."""

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

from .test_maf_native import EXAMPLE

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.maf_agents:coder"},
        "counter": {"target": f"{EXAMPLE}:agent"},
        "janitor": {"target": "tests.e2e.maf_agents:janitor"},
        "echo": {"target": "tests.e2e.maf_agents:echo"},
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


def test_run_python_is_a_code_interpreter_call(client: OpenAI) -> None:
    first = client.responses.create(model="coder", input="x = 6 * 7\nx")
    strict(Response, first)
    assert first.status == "completed"
    calls = [o for o in first.output if o.type == "code_interpreter_call"]
    assert len(calls) == 1 and calls[0].code == "x = 6 * 7\nx"
    assert first.output_text.endswith("Result: 42")


def test_previous_response_id_continues_the_agents_session(client: OpenAI) -> None:
    first = client.responses.create(model="echo", input="alpha")
    assert first.output_text == "alpha"
    second = client.responses.create(model="echo", input="beta", previous_response_id=first.id)
    assert second.output_text == "alpha | beta"
    other = client.responses.create(model="echo", input="gamma")
    assert other.output_text == "gamma"


def test_streaming_text_deltas_from_the_agent(client: OpenAI) -> None:
    stream = client.responses.create(model="counter", input="one two three", stream=True)
    events = [strict(ResponseStreamEvent, e) for e in stream]
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 2
    assert "".join(deltas) == "Let me count.Your message has 3 words."
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_an_approval_is_asked_and_the_next_response_resumes(client: OpenAI) -> None:
    asked = client.responses.create(model="janitor", input="clean up")
    strict(Response, asked)
    assert asked.status == "incomplete"
    assert asked.output_text.endswith("Approve calling delete_file? (yes/no)")
    done = client.responses.create(model="janitor", input="yes", previous_response_id=asked.id)
    assert done.status == "completed"
    assert done.output_text.endswith("Done: deleted notes.txt")
