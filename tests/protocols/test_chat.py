# mypy: disable-error-code="union-attr,index"
# (the SDK types outputs and events as wide unions; tests narrow them by asserting `.type`)
"""Chat Completions and the models list with the official openai client, sync and async,
streaming and not; every body and chunk validated strictly with the SDK's types."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from agenthost.testing.server import ServerHandle

from .openai_agents import (
    PNG,
    assert_error_shape,
    new_gate,
    post_and_go_away,
    sse_events,
    strict,
)
from .openai_agents import aclient_fixture as aclient_fixture
from .openai_agents import client_fixture as client_fixture
from .openai_agents import server_fixture as server_fixture


def user(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


# ----------------------------------------------------------------------------- text


def test_text_sync(client: OpenAI) -> None:
    completion = client.chat.completions.create(model="echo", messages=user("hello world"))
    strict(ChatCompletion, completion)
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    [choice] = completion.choices
    assert choice.message.role == "assistant"
    assert choice.message.content == "hello world "
    assert choice.finish_reason == "stop"
    assert completion.usage is not None and completion.usage.total_tokens == 0


async def test_text_async(aclient: AsyncOpenAI) -> None:
    completion = await aclient.chat.completions.create(model="tokens", messages=user("go"))
    strict(ChatCompletion, completion)
    assert completion.choices[0].message.content == "".join(f"t{i} " for i in range(20))
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (3, 20)
    assert completion.usage.total_tokens == 23


async def test_stream_with_usage_async(aclient: AsyncOpenAI) -> None:
    stream = await aclient.chat.completions.create(
        model="tokens", messages=user("go"), stream=True, stream_options={"include_usage": True}
    )
    chunks = [chunk async for chunk in stream]
    for chunk in chunks:
        strict(ChatCompletionChunk, chunk)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    body, last = chunks[:-1], chunks[-1]
    assert all(c.usage is None for c in body)
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (3, 20)
    text = "".join(c.choices[0].delta.content or "" for c in body)
    assert text == "".join(f"t{i} " for i in range(20))
    assert [c.choices[0].finish_reason for c in body][-1] == "stop"
    assert all(c.choices[0].finish_reason is None for c in body[:-1])


def test_stream_sync_without_usage(client: OpenAI) -> None:
    stream = client.chat.completions.create(model="echo", messages=user("a b c"), stream=True)
    chunks = list(stream)
    for chunk in chunks:
        strict(ChatCompletionChunk, chunk)
        assert chunk.usage is None and len(chunk.choices) == 1
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "a b c "


def test_raw_stream_ends_with_done(server: ServerHandle) -> None:
    frames = sse_events(
        server.url + "/v1/chat/completions",
        {
            "model": "tools",
            "messages": user("x"),
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )
    datas = [data for _, data in frames]
    assert datas[-1] == "[DONE]"
    chunks = [strict(ChatCompletionChunk, json.loads(d)) for d in datas[:-1]]
    assert chunks[-1].usage.total_tokens == 12
    # reasoning travels in the reasoning_content extension; tool calls are not shown
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content", "")
        for c in chunks
        if c.choices
    )
    assert reasoning == "The user wants a lookup."
    assert all(not c.choices or c.choices[0].delta.tool_calls is None for c in chunks)


def test_stream_helper(client: OpenAI) -> None:
    with client.chat.completions.stream(model="echo", messages=user("via helper")) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].message.content == "via helper "


def test_tools_are_not_client_tool_calls(client: OpenAI) -> None:
    completion = client.chat.completions.create(model="tools", messages=user("cats"))
    strict(ChatCompletion, completion)
    message = completion.choices[0].message
    assert message.content == "Let me look. Found 3."
    assert message.tool_calls is None and completion.choices[0].finish_reason == "stop"
    assert (message.model_extra or {}).get("reasoning_content") == "The user wants a lookup."


def test_artifacts_as_text(client: OpenAI) -> None:
    completion = client.chat.completions.create(model="artifacts", messages=user("x"))
    assert completion.choices[0].message.content == (
        f'Here: {{"rows":2}}[dot.png](image/png, {len(PNG)} bytes)'
    )


def test_input_required_asks(client: OpenAI) -> None:
    completion = client.chat.completions.create(model="asks", messages=user("weather?"))
    assert completion.choices[0].message.content == "Which city?"


# ----------------------------------------------------------------------------- messages


def test_history_system_and_parts(client: OpenAI) -> None:
    png = "data:image/png;base64," + base64.b64encode(PNG).decode()
    completion = client.chat.completions.create(
        model="parts",
        messages=[
            {"role": "system", "content": "be nice"},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "hello"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image_url", "image_url": {"url": png, "detail": "low"}},
                    {
                        "type": "file",
                        "file": {
                            "filename": "a.txt",
                            "file_data": base64.b64encode(b"hi").decode(),
                        },
                    },
                ],
            },
        ],
    )
    assert completion.choices[0].message.content == (
        "system:text:be nice; user:text:hi; assistant:text:hello; user:text:look; "
        f"user:file:image/png:None:{len(PNG)}; user:file:application/octet-stream:a.txt:2"
    )


def test_each_request_is_its_own_session(client: OpenAI) -> None:
    """Chat Completions is stateless: the agent sees only the messages sent."""
    for _ in range(2):
        completion = client.chat.completions.create(model="memory", messages=user("again"))
        assert completion.choices[0].message.content == "turn 1: again"


# ----------------------------------------------------------------------------- models


def test_models(client: OpenAI) -> None:
    page = client.models.list()
    ids = [model.id for model in page.data]
    assert ids == sorted(ids) and {"echo", "tools", "memory"} <= set(ids)
    for model in page.data:
        strict(Model, model)
        assert model.owned_by == "agenthost"
    assert client.models.retrieve("echo").id == "echo"
    with pytest.raises(openai.NotFoundError) as info:
        client.models.retrieve("nope")
    error = assert_error_shape(info.value.response.json(), 404, info.value.status_code)
    assert error["code"] == "model_not_found"


async def test_models_async(aclient: AsyncOpenAI) -> None:
    ids = [model.id async for model in aclient.models.list()]
    assert "echo" in ids


# ----------------------------------------------------------------------------- failures


def test_agent_failure(client: OpenAI, server: ServerHandle) -> None:
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="boom", messages=user("x"))
    error = assert_error_shape(info.value.response.json(), 500, info.value.status_code)
    assert "ValueError: kaboom" in error["message"] and error["code"] == "ValueError"
    # a failed run is not transient: the client is told not to retry it
    assert info.value.response.headers["x-should-retry"] == "false"


async def test_agent_failure_stream(aclient: AsyncOpenAI) -> None:
    stream = await aclient.chat.completions.create(model="boom", messages=user("x"), stream=True)
    got = []
    with pytest.raises(openai.APIError) as info:
        async for chunk in stream:
            got.append(chunk.choices[0].delta.content)
    assert "kaboom" in info.value.message
    assert "partial " in got


def test_disconnect_mid_stream_cancels(server: ServerHandle) -> None:
    name = uuid.uuid4().hex
    gate = new_gate(name)
    body = {"model": "gated", "messages": user(name), "stream": True}
    with httpx.stream("POST", server.url + "/v1/chat/completions", json=body) as response:
        next(response.iter_lines())
        gate.wait_entered()
    # the agent is stopped at its await (a chat run leaves no record to read its status from)
    assert gate.cancelled.wait(20) and not gate.after


async def test_disconnect_while_waiting_cancels(server: ServerHandle) -> None:
    """A non-streaming client that goes away cancels the run too."""
    name = uuid.uuid4().hex
    gate = new_gate(name)
    body = {"model": "gated", "messages": user(name)}
    await post_and_go_away(server.url + "/v1/chat/completions", body, gate)
    assert await asyncio.to_thread(gate.cancelled.wait, 20)
    assert not gate.after


# ----------------------------------------------------------------------------- errors


def test_unknown_model(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(model="gpt-nope", messages=user("x"))
    error = assert_error_shape(info.value.response.json(), 404, info.value.status_code)
    assert error["param"] == "model" and error["code"] == "model_not_found"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "echo"}, "messages"),
        ({"model": "echo", "messages": []}, "messages"),
        ({"messages": user("x")}, "model"),
        ({"model": "echo", "messages": "hi"}, "messages"),
        ({"model": "echo", "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        (
            {"model": "echo", "messages": [{"role": "tool", "content": "1", "tool_call_id": "c"}]},
            "messages[0].role",
        ),
        (
            {"model": "echo", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]},
            "messages[0].content[0].type",
        ),
        (
            {
                "model": "echo",
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}],
                    }
                ],
            },
            "messages[0].content[0].image_url.url",
        ),
        ({"model": "echo", "messages": user("x"), "stream": 1}, "stream"),
        (
            {"model": "echo", "messages": user("x"), "stream_options": {"include_usage": "yes"}},
            "stream_options.include_usage",
        ),
        ({"model": "echo", "messages": user("x"), "extra_thing": 1}, "extra_thing"),
    ],
)
def test_bad_body_names_the_field(server: ServerHandle, body: Any, param: str) -> None:
    response = httpx.post(server.url + "/v1/chat/completions", json=body)
    error = assert_error_shape(response.json(), 400, response.status_code)
    assert error["param"] == param, error


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("temperature", 0),
        ("top_p", 0.1),
        ("n", 2),
        ("max_tokens", 5),
        ("max_completion_tokens", 5),
        ("stop", ["\n"]),
        ("seed", 1),
        ("logprobs", True),
        ("presence_penalty", 0.5),
        ("tools", [{"type": "function", "function": {"name": "f"}}]),
        ("tool_choice", "required"),
        ("response_format", {"type": "json_object"}),
        ("reasoning_effort", "low"),
        ("store", True),
    ],
)
def test_unsupported_parameter_is_refused(client: OpenAI, param: str, value: Any) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="echo", messages=user("x"), **{param: value})
    error = assert_error_shape(info.value.response.json(), 400, info.value.status_code)
    assert error["param"] == param and error["code"] == "unsupported_parameter"


def test_neutral_values_are_accepted(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="echo",
        messages=user("fine"),
        temperature=1,
        top_p=1.0,
        n=1,
        presence_penalty=0,
        tool_choice="none",
        response_format={"type": "text"},
        parallel_tool_calls=True,
        user="u1",
        metadata={"a": "b"},
        store=False,
    )
    assert completion.choices[0].message.content == "fine "
