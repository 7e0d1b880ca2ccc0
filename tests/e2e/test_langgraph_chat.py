"""A LangGraph agent over OpenAI Chat Completions (stateless: the client sends the history)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

CONFIG = {
    "agents": {"echo": {"target": "tests.e2e.langgraph_agents:echo"}},
    "frontends": {"chat": {}},
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as handle:
        yield handle


def test_the_whole_history_reaches_the_graph_once(server: ServerHandle) -> None:
    client = OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=60)
    history: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "Repeat what the user said."},
        {"role": "user", "content": "alpha"},
        {"role": "assistant", "content": "alpha"},
        {"role": "user", "content": "beta"},
    ]
    reply = client.chat.completions.create(model="echo", messages=history)
    assert reply.choices[0].message.content == "alpha | beta"
    # the same history again: a new conversation, not a continuation of the first
    again = client.chat.completions.create(model="echo", messages=history)
    assert again.choices[0].message.content == "alpha | beta"
    stream = client.chat.completions.create(model="echo", messages=history, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "alpha | beta"
