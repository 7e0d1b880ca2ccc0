"""A MAF agent over OpenAI Chat Completions (stateless: the client sends the history)."""

from __future__ import annotations

from agenthost.testing.server import ServerHandle

from .framework_checks import check_chat_history_reaches_the_agent_once, openai_client, serving

CONFIG = {
    "agents": {"echo": {"target": "tests.e2e.maf_agents:echo"}},
    "frontends": {"chat": {}},
}

server = serving(CONFIG)


def test_the_whole_history_reaches_the_agent_once(server: ServerHandle) -> None:
    client = openai_client(server)
    check_chat_history_reaches_the_agent_once(client)
    models = [m.id for m in client.models.list()]
    assert "echo" in models
