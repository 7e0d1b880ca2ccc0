"""Agno agents over OpenAI Responses and Chat Completions, driven by the official client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai.types.responses import Response, ResponseStreamEvent

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .agno_agents import EXAMPLE
from .test_langgraph_responses import strict

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.agno_agents:coder"},
        "echo": {"target": "tests.e2e.agno_agents:echo"},
        "counter": {"target": f"{EXAMPLE}:agent"},
    },
    "frontends": {"responses": {}, "chat": {}},
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as handle:
        yield handle


@pytest.fixture
def client(server: ServerHandle) -> OpenAI:
    return OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=60)


def test_run_python_is_a_code_interpreter_call_and_the_session_persists(client: OpenAI) -> None:
    first = client.responses.create(model="coder", input="x = 6 * 7\nx")
    strict(Response, first)
    assert first.status == "completed"
    calls = [o for o in first.output if o.type == "code_interpreter_call"]
    assert len(calls) == 1 and calls[0].code == "x = 6 * 7\nx"
    assert [o.logs for o in calls[0].outputs or [] if o.type == "logs"] == ["42"]
    assert first.output_text.endswith("Result: 42")
    second = client.responses.create(model="coder", input="x + 1", previous_response_id=first.id)
    assert second.output_text.endswith("Result: 43")


def test_responses_stream_text_deltas(client: OpenAI) -> None:
    stream = client.responses.create(model="counter", input="one two three", stream=True)
    events = [strict(ResponseStreamEvent, e) for e in stream]
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 2
    assert "".join(deltas) == "Let me count.Your message has 3 words."
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_chat_history_reaches_the_agent_once(client: OpenAI) -> None:
    history: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "Repeat what the user said."},
        {"role": "user", "content": "alpha"},
        {"role": "assistant", "content": "alpha"},
        {"role": "user", "content": "beta"},
    ]
    reply = client.chat.completions.create(model="echo", messages=history)
    assert reply.choices[0].message.content == "alpha | beta"
    again = client.chat.completions.create(model="echo", messages=history)  # a new conversation
    assert again.choices[0].message.content == "alpha | beta"
    stream = client.chat.completions.create(model="echo", messages=history, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "alpha | beta"
