"""MAF agents over the OpenAI Responses API, driven by the official ``openai`` client."""

from __future__ import annotations

from openai import OpenAI
from openai.types.responses import Response

from .framework_checks import (
    check_responses_stream_text_deltas,
    check_run_python_is_a_code_interpreter_call,
    openai_fixture,
    serving,
    strict,
)
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

server = serving(CONFIG)
client = openai_fixture()


def test_run_python_is_a_code_interpreter_call(client: OpenAI) -> None:
    check_run_python_is_a_code_interpreter_call(client, persists=False)


def test_previous_response_id_continues_the_agents_session(client: OpenAI) -> None:
    first = client.responses.create(model="echo", input="alpha")
    assert first.output_text == "alpha"
    second = client.responses.create(model="echo", input="beta", previous_response_id=first.id)
    assert second.output_text == "alpha | beta"
    other = client.responses.create(model="echo", input="gamma")
    assert other.output_text == "gamma"


def test_streaming_text_deltas_from_the_agent(client: OpenAI) -> None:
    check_responses_stream_text_deltas(client)


def test_an_approval_is_asked_and_the_next_response_resumes(client: OpenAI) -> None:
    asked = client.responses.create(model="janitor", input="clean up")
    strict(Response, asked)
    assert asked.status == "incomplete"
    assert asked.output_text.endswith("Approve calling delete_file? (yes/no)")
    done = client.responses.create(model="janitor", input="yes", previous_response_id=asked.id)
    assert done.status == "completed"
    assert done.output_text.endswith("Done: deleted notes.txt")
