# mypy: disable-error-code="union-attr,index"
# (the SDK types outputs and events as wide unions; tests narrow them by asserting `.type`)
"""The Responses API with the official openai client, sync and async: text, streams, tools,
parts, conversations, errors. Every body and event is validated strictly with the SDK's types."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from agenthost.testing.server import ServerHandle

from .openai_agents import PNG, assert_error_shape, sse_events, strict
from .openai_agents import aclient_fixture as aclient_fixture
from .openai_agents import client_fixture as client_fixture
from .openai_agents import server_fixture as server_fixture

EVENT: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def check_sequence(events: list[Any]) -> None:
    """Strict types, sequence numbers 0..n, one terminal event, last."""
    for event in events:
        strict(EVENT, event)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    terminal = {"response.completed", "response.failed", "response.incomplete"}
    assert [e.type for e in events if e.type in terminal] == [events[-1].type]


TEXT_ORDER = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def squash(types: list[str]) -> list[str]:
    """Event types with runs of deltas collapsed to one."""
    out: list[str] = []
    for t in types:
        if not (out and out[-1] == t and t.endswith(".delta")):
            out.append(t)
    return out


# ----------------------------------------------------------------------------- text


def test_text_sync(client: OpenAI) -> None:
    response = client.responses.create(model="echo", input="hello there world")
    strict(Response, response)
    assert response.status == "completed"
    assert response.output_text == "hello there world "
    assert response.id.startswith("resp_")
    assert response.model == "echo"
    [message] = response.output
    assert message.type == "message" and message.role == "assistant"
    assert response.usage is not None and response.usage.total_tokens == 0


async def test_text_async_stream(aclient: AsyncOpenAI) -> None:
    stream = await aclient.responses.create(model="tokens", input="go", stream=True)
    events = [event async for event in stream]
    check_sequence(events)
    assert squash([e.type for e in events]) == TEXT_ORDER
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "".join(f"t{i} " for i in range(20))
    final = events[-1].response
    strict(Response, final)
    assert final.output_text == deltas
    assert final.usage.input_tokens == 3 and final.usage.output_tokens == 20
    assert final.usage.total_tokens == 23
    assert events[0].response.status == "in_progress" and events[0].response.output == []


def test_raw_stream_frames(server: ServerHandle) -> None:
    """The raw SSE: each frame names its event, and its data is the event of that type."""
    frames = sse_events(
        server.url + "/v1/responses", {"model": "echo", "input": "a b", "stream": True}
    )
    events = [strict(EVENT, json.loads(data)) for _, data in frames]
    assert [name for name, _ in frames] == [e.type for e in events]
    check_sequence(events)


def test_stream_helper_sync(client: OpenAI) -> None:
    """The SDK's accumulating helper gets a final response."""
    with client.responses.stream(model="echo", input="via the helper") as stream:
        texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text == "via the helper "


async def test_stream_helper_async(aclient: AsyncOpenAI) -> None:
    async with aclient.responses.stream(model="tools", input="cats") as stream:
        final = await stream.get_final_response()
    assert [item.type for item in final.output] == [
        "reasoning",
        "message",
        "mcp_call",
        "code_interpreter_call",
        "mcp_call",
        "message",
    ]


def test_instructions(client: OpenAI) -> None:
    response = client.responses.create(model="instructed", input="hi", instructions="be brief")
    strict(Response, response)
    assert response.output_text == "[be brief] hi"
    assert response.instructions == "be brief"


def test_metadata_echoed(client: OpenAI) -> None:
    response = client.responses.create(model="echo", input="x", metadata={"k": "v"})
    assert response.metadata == {"k": "v"}


# ----------------------------------------------------------------------------- tools


def test_tool_calls_non_stream(client: OpenAI) -> None:
    response = client.responses.create(model="tools", input="cats")
    strict(Response, response)
    reasoning, first, lookup, code, fetch, last = response.output
    assert reasoning.type == "reasoning"
    assert [c.text for c in reasoning.content or []] == ["The user wants a lookup."]
    assert first.type == "message" and last.type == "message"
    assert response.output_text == "Let me look. Found 3."
    # the agent's own tools: items a client never has to answer
    assert lookup.type == "mcp_call" and lookup.status == "completed"
    assert lookup.name == "lookup" and json.loads(lookup.arguments) == {"q": "cats"}
    assert json.loads(lookup.output or "") == {"hits": 3}
    assert lookup.server_label == "tools"
    assert code.type == "code_interpreter_call" and code.status == "completed"
    assert code.code == "print('hi')\n6*7"
    outputs = code.outputs or []
    assert outputs[0].type == "logs" and outputs[0].logs == "hi\n42"
    assert outputs[1].type == "image" and outputs[1].url.startswith("data:image/png;base64,")
    assert fetch.type == "mcp_call" and fetch.status == "failed" and fetch.output is None
    assert fetch.error is not None and fetch.error.type == "mcp_tool_execution_error"
    assert not any(
        item.type in ("function_call", "mcp_approval_request") for item in response.output
    )
    assert response.usage is not None and response.usage.total_tokens == 12


async def test_tool_calls_stream(aclient: AsyncOpenAI) -> None:
    stream = await aclient.responses.create(model="tools", input="cats", stream=True)
    events = [e async for e in stream]
    check_sequence(events)
    types = [e.type for e in events]
    for expected in (
        "response.reasoning_text.delta",
        "response.reasoning_text.done",
        "response.mcp_call_arguments.delta",
        "response.mcp_call_arguments.done",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.mcp_call.failed",
        "response.code_interpreter_call.in_progress",
        "response.code_interpreter_call_code.delta",
        "response.code_interpreter_call_code.done",
        "response.code_interpreter_call.interpreting",
        "response.code_interpreter_call.completed",
    ):
        assert expected in types, expected
    added = [e for e in events if e.type == "response.output_item.added"]
    done = [e for e in events if e.type == "response.output_item.done"]
    assert [e.output_index for e in added] == [e.output_index for e in done] == list(range(6))
    assert [e.item.id for e in added] == [e.item.id for e in done]
    final = events[-1].response
    assert [i.id for i in final.output] == [e.item.id for e in done]


def test_artifacts(client: OpenAI) -> None:
    response = client.responses.create(model="artifacts", input="x")
    strict(Response, response)
    text, data, image = response.output
    assert text.type == "message" and data.type == "message"
    assert json.loads(data.content[0].text) == {"rows": 2}
    assert image.type == "image_generation_call" and image.status == "completed"
    assert image.result == base64.b64encode(PNG).decode()


# ----------------------------------------------------------------------------- input


def test_input_items_with_parts(client: OpenAI) -> None:
    png = "data:image/png;base64," + base64.b64encode(PNG).decode()
    items: list[Any] = [
        {"role": "developer", "content": "be nice"},
        {
            "type": "message",
            "role": "user",
            "content": [
                {"type": "input_text", "text": "look"},
                {"type": "input_image", "image_url": png, "detail": "auto"},
                {"type": "input_image", "image_url": "https://example.com/a.jpg"},
                {
                    "type": "input_file",
                    "filename": "a.txt",
                    "file_data": "data:text/plain;base64,aGVsbG8=",
                },
            ],
        },
    ]
    response = client.responses.create(model="parts", input=items)
    assert response.output_text == (
        "system:text:be nice; user:text:look; "
        f"user:file:image/png:None:{len(PNG)}; "
        "user:file:image/jpeg:None:https://example.com/a.jpg; "
        "user:file:text/plain:a.txt:5"
    )


def test_output_items_handed_back_are_accepted(client: OpenAI) -> None:
    """A client replaying a previous output as input (stateless history) is not refused."""
    first = client.responses.create(model="tools", input="cats")
    history: list[Any] = [{"role": "user", "content": "cats"}]
    history += [item.model_dump(exclude_unset=True) for item in first.output]
    history.append({"role": "user", "content": "and dogs?"})
    response = client.responses.create(model="parts", input=history, store=False)
    assert response.output_text == (
        "user:text:cats; assistant:text:Let me look. ; assistant:text:Found 3.; user:text:and dogs?"
    )


# ----------------------------------------------------------------------------- sessions


def test_conversation_three_turns(client: OpenAI) -> None:
    first = client.responses.create(model="memory", input="I am Ann")
    second = client.responses.create(
        model="memory", input="I like tea", previous_response_id=first.id
    )
    third = client.responses.create(
        model="memory", input="who am I?", previous_response_id=second.id
    )
    strict(Response, third)
    assert first.output_text == "turn 1: I am Ann"
    assert second.output_text == "turn 2: I am Ann | I like tea"
    assert third.output_text == "turn 3: I am Ann | I like tea | who am I?"
    assert third.previous_response_id == second.id


async def test_conversation_async_stream(aclient: AsyncOpenAI) -> None:
    first = await aclient.responses.create(model="memory", input="one")
    stream = await aclient.responses.create(
        model="memory", input="two", previous_response_id=first.id, stream=True
    )
    events = [e async for e in stream]
    assert events[-1].response.output_text == "turn 2: one | two"


def test_conversation_parameter(client: OpenAI) -> None:
    a = client.responses.create(model="memory", input="red", conversation="conv_test_1")
    b = client.responses.create(model="memory", input="blue", conversation={"id": "conv_test_1"})
    strict(Response, b)
    assert a.output_text == "turn 1: red"
    assert b.output_text == "turn 2: red | blue"
    assert b.conversation is not None and b.conversation.id == "conv_test_1"


def test_branching_is_refused(client: OpenAI) -> None:
    first = client.responses.create(model="memory", input="a")
    client.responses.create(model="memory", input="b", previous_response_id=first.id)
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="memory", input="c", previous_response_id=first.id)
    error = assert_error_shape(info.value.response.json(), 400, info.value.status_code)
    assert error["param"] == "previous_response_id" and error["code"] == "unsupported_branch"


def test_unknown_previous_response(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.responses.create(model="memory", input="a", previous_response_id="resp_nope")
    error = assert_error_shape(info.value.response.json(), 404, info.value.status_code)
    assert error["param"] == "previous_response_id"


def test_store_false(client: OpenAI) -> None:
    response = client.responses.create(model="echo", input="secret", store=False)
    assert response.output_text == "secret "
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="echo", input="x", previous_response_id=response.id)


# ----------------------------------------------------------------------------- outcomes


def test_agent_failure(client: OpenAI) -> None:
    response = client.responses.create(model="boom", input="x")
    strict(Response, response)
    assert response.status == "failed"
    assert response.error is not None and response.error.code == "server_error"
    assert "ValueError: kaboom" in response.error.message
    assert response.output_text == "partial "
    assert response.output[0].status == "incomplete"


async def test_agent_failure_stream(aclient: AsyncOpenAI) -> None:
    stream = await aclient.responses.create(model="boom", input="x", stream=True)
    events = [e async for e in stream]
    check_sequence(events)
    assert events[-1].type == "response.failed"
    assert "kaboom" in events[-1].response.error.message


def test_input_required_is_incomplete(client: OpenAI) -> None:
    response = client.responses.create(model="asks", input="weather?")
    strict(Response, response)
    assert response.status == "incomplete"
    assert response.output_text == "Which city?"
    with client.responses.stream(model="asks", input="weather?") as stream:
        events = list(stream)
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.status == "incomplete"


# ----------------------------------------------------------------------------- errors


def post(server: ServerHandle, body: Any, **kw: Any) -> httpx.Response:
    return httpx.post(server.url + "/v1/responses", json=body, timeout=30, **kw)


def test_unknown_model(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.responses.create(model="gpt-nope", input="hi")
    error = assert_error_shape(info.value.response.json(), 404, info.value.status_code)
    assert error["param"] == "model" and error["code"] == "model_not_found"
    assert "gpt-nope" in error["message"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "echo"}, "input"),
        ({"input": "hi"}, "model"),
        ({"model": "echo", "input": 5}, "input"),
        ({"model": "echo", "input": "hi", "stream": "yes"}, "stream"),
        ({"model": "echo", "input": "hi", "metadata": {"k": 1}}, "metadata.k"),
        ({"model": "echo", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        (
            {"model": "echo", "input": [{"type": "function_call_output", "output": "1"}]},
            "input[0].type",
        ),
        (
            {"model": "echo", "input": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "input[0].content[0].type",
        ),
        (
            {
                "model": "echo",
                "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}],
            },
            "input[0].content[0].file_id",
        ),
        (
            {
                "model": "echo",
                "input": [
                    {
                        "role": "user",
                        "content": [{"type": "input_image", "image_url": "file:///etc/passwd"}],
                    }
                ],
            },
            "input[0].content[0].image_url",
        ),
        ({"model": "echo", "input": "hi", "surprise": 1}, "surprise"),
        ({"model": "echo", "input": "hi", "background": True, "store": False}, "store"),
        (
            {"model": "echo", "input": "hi", "previous_response_id": "r", "conversation": "c"},
            "conversation",
        ),
    ],
)
def test_bad_body_names_the_field(server: ServerHandle, body: Any, param: str) -> None:
    response = post(server, body)
    error = assert_error_shape(response.json(), 400, response.status_code)
    assert error["param"] == param, error
    assert param.split(".")[0].split("[")[0] in error["message"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("temperature", 0.2),
        ("top_p", 0.5),
        ("max_output_tokens", 10),
        ("tools", [{"type": "function", "name": "f", "parameters": {}}]),
        ("tool_choice", "required"),
        ("text", {"format": {"type": "json_object"}}),
        ("reasoning", {"effort": "high"}),
        ("include", ["message.output_text.logprobs"]),
        ("top_logprobs", 3),
    ],
)
def test_unsupported_parameter_is_refused(client: OpenAI, param: str, value: Any) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="echo", input="hi", **{param: value})
    error = assert_error_shape(info.value.response.json(), 400, info.value.status_code)
    assert error["param"] == param and error["code"] == "unsupported_parameter"


def test_neutral_values_are_accepted(client: OpenAI) -> None:
    response = client.responses.create(
        model="echo",
        input="fine",
        temperature=1,
        top_p=1,
        tools=[],
        tool_choice="auto",
        text={"format": {"type": "text"}},
        parallel_tool_calls=False,
        truncation="auto",
        include=["code_interpreter_call.outputs"],
        reasoning={"summary": "auto"},
        prompt_cache_key="k",
        user="u1",
    )
    assert response.output_text == "fine "


def test_malformed_json(server: ServerHandle) -> None:
    response = httpx.post(
        server.url + "/v1/responses",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    error = assert_error_shape(response.json(), 400, response.status_code)
    assert error["code"] == "invalid_json"
