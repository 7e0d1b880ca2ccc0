"""AutoGen agents over OpenAI Responses and Chat Completions, driven by the official client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import running_server

CONFIG = {
    "agents": {
        "echo": {"target": "tests.e2e.autogen_agents:echo"},
        "team": {"target": "tests.e2e.autogen_agents:team"},
    },
    "frontends": {"responses": {}, "chat": {}},
}


@pytest.fixture(scope="module")
def client() -> Iterator[OpenAI]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as server:
        yield OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=60)


def test_responses_continue_the_agents_conversation(client: OpenAI) -> None:
    first = client.responses.create(model="echo", input="alpha")
    second = client.responses.create(model="echo", input="beta", previous_response_id=first.id)
    other = client.responses.create(model="echo", input="gamma")
    assert (first.output_text, second.output_text, other.output_text) == (
        "alpha", "alpha | beta", "gamma"
    )
    assert second.usage is not None and second.usage.total_tokens == 6


def test_responses_stream_a_teams_members(client: OpenAI) -> None:
    stream = client.responses.create(model="team", input="write", stream=True)
    events = list(stream)
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 2
    assert "".join(deltas) == "A draft.Fine. APPROVED"
    assert events[-1].type == "response.completed"


def test_chat_sends_the_whole_history_once(client: OpenAI) -> None:
    history: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "alpha"},
        {"role": "assistant", "content": "alpha"},
        {"role": "user", "content": "beta"},
    ]
    reply = client.chat.completions.create(model="echo", messages=history)
    assert reply.choices[0].message.content == "alpha | beta"
    again = client.chat.completions.create(model="echo", messages=history, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in again if c.choices)
    assert text == "alpha | beta"  # a new conversation, not a continuation of the first
