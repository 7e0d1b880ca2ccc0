"""AgentScope agents over OpenAI Responses and Chat Completions, with the official client."""

from __future__ import annotations

from openai import OpenAI
from openai.types.responses import Response, ResponseStreamEvent

from .agentscope_agents import CONFIG
from .framework_checks import (
    check_chat_history_reaches_the_agent_once,
    openai_fixture,
    serving,
    strict,
)

server = serving(CONFIG)
client = openai_fixture()


def test_models_lists_the_agents(client: OpenAI) -> None:
    assert {"counter", "approve", "echo"} <= {m.id for m in client.models.list()}


def test_responses_run_python_as_a_code_interpreter_call(client: OpenAI) -> None:
    first = client.responses.create(model="counter", input="one two three")
    strict(Response, first)
    assert first.status == "completed"
    [call] = [o for o in first.output if o.type == "code_interpreter_call"]
    assert call.code == "len('one two three'.split())"
    assert [o.logs for o in call.outputs or [] if o.type == "logs"] == ["3"]
    assert first.output_text == "Let me count.Your message has 3 words."


def test_responses_continue_the_conversation(client: OpenAI) -> None:
    first = client.responses.create(model="echo", input="alpha")
    second = client.responses.create(model="echo", input="beta", previous_response_id=first.id)
    assert (first.output_text, second.output_text) == ("alpha", "alpha | beta")


def test_responses_stream_text_deltas(client: OpenAI) -> None:
    stream = client.responses.create(model="counter", input="four words right here", stream=True)
    events = [strict(ResponseStreamEvent, e) for e in stream]
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 2
    assert "".join(deltas) == "Let me count.Your message has 4 words."
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_chat_completions_send_the_whole_history(client: OpenAI) -> None:
    check_chat_history_reaches_the_agent_once(client)
