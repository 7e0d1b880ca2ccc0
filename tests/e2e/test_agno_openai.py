"""Agno agents over OpenAI Responses and Chat Completions, driven by the official client."""

from __future__ import annotations

from openai import OpenAI

from .agno_agents import EXAMPLE
from .framework_checks import (
    check_chat_history_reaches_the_agent_once,
    check_responses_stream_text_deltas,
    check_run_python_is_a_code_interpreter_call,
    openai_fixture,
    serving,
)

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.agno_agents:coder"},
        "echo": {"target": "tests.e2e.agno_agents:echo"},
        "counter": {"target": f"{EXAMPLE}:agent"},
    },
    "frontends": {"responses": {}, "chat": {}},
}


server = serving(CONFIG)
client = openai_fixture()


def test_run_python_is_a_code_interpreter_call_and_the_session_persists(client: OpenAI) -> None:
    check_run_python_is_a_code_interpreter_call(client, persists=True)


def test_responses_stream_text_deltas(client: OpenAI) -> None:
    check_responses_stream_text_deltas(client)


def test_chat_history_reaches_the_agent_once(client: OpenAI) -> None:
    check_chat_history_reaches_the_agent_once(client)
