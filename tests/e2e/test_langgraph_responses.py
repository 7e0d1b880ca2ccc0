"""LangGraph agents over the OpenAI Responses API, driven by the official ``openai`` client."""

from __future__ import annotations

from openai import OpenAI

from .framework_checks import (
    check_responses_stream_text_deltas,
    check_run_python_is_a_code_interpreter_call,
    openai_fixture,
    serving,
)
from .langgraph_http import EXAMPLE

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.langgraph_agents:coder"},
        "counter": {"target": f"{EXAMPLE}:graph"},
    },
    "frontends": {"responses": {}},
}

server = serving(CONFIG)
client = openai_fixture()


def test_run_python_is_a_code_interpreter_call_and_the_sandbox_persists(client: OpenAI) -> None:
    check_run_python_is_a_code_interpreter_call(client, persists=True)


def test_streaming_text_deltas_from_the_graph(client: OpenAI) -> None:
    events = check_responses_stream_text_deltas(client)
    assert events[-1].response.output_text == "Let me count.Your message has 3 words."
