# mypy: disable-error-code="union-attr,index"
# (the SDK types outputs and events as wide unions; tests narrow them by asserting `.type`)
"""An agent running Python in its session's sandbox (the built-in ``local`` backend), seen
over the Responses API as ``code_interpreter_call`` items, and over Chat as plain text."""

from __future__ import annotations

import base64

from openai import AsyncOpenAI, OpenAI
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

from agenthost.testing.server import ServerHandle

from .openai_agents import PNG, strict
from .openai_agents import client_fixture as client_fixture
from .openai_agents import server_fixture as server_fixture

EVENT: TypeAdapter[ResponseStreamEvent] = TypeAdapter(ResponseStreamEvent)


def test_sandbox_run_is_a_code_interpreter_call(client: OpenAI) -> None:
    first = client.responses.create(model="sandboxed", input="x = 6 * 7\nprint('hello')\nx")
    strict(Response, first)
    call, message = first.output
    assert call.type == "code_interpreter_call" and call.status == "completed"
    assert call.code == "x = 6 * 7\nprint('hello')\nx"
    assert [(o.type, o.logs) for o in call.outputs or [] if o.type == "logs"] == [
        ("logs", "hello\n42")
    ]
    assert call.container_id
    assert message.type == "message" and first.output_text == "ran it"
    # the sandbox lives as long as the conversation: the next turn sees `x`
    second = client.responses.create(
        model="sandboxed", input="x + 1", previous_response_id=first.id
    )
    assert second.output[0].outputs[0].logs == "43"
    assert second.output[0].container_id == call.container_id


def test_sandbox_error_is_a_failed_call(client: OpenAI) -> None:
    response = client.responses.create(model="sandboxed", input="1 / 0")
    strict(Response, response)
    call = response.output[0]
    assert call.type == "code_interpreter_call" and call.status == "failed"
    assert "ZeroDivisionError" in (call.outputs or [])[0].logs


def test_sandbox_image_is_a_call_output(client: OpenAI) -> None:
    png = base64.b64encode(PNG).decode()
    code = (
        "import base64\n"
        "class Dot:\n"
        f"    def _repr_png_(self): return base64.b64decode('{png}')\n"
        "Dot()"
    )
    response = client.responses.create(model="sandboxed", input=code)
    strict(Response, response)
    call = response.output[0]
    images = [o for o in call.outputs or [] if o.type == "image"]
    assert [o.url for o in images] == [f"data:image/png;base64,{png}"]
    assert all(item.type != "image_generation_call" for item in response.output)


async def test_sandbox_stream_async(server: ServerHandle) -> None:
    aclient = AsyncOpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
    stream = await aclient.responses.create(
        model="sandbox_direct", input="print('hi')\n2 ** 10", stream=True
    )
    events = [e async for e in stream]
    for event in events:
        strict(EVENT, event)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    code = [e.code for e in events if e.type == "response.code_interpreter_call_code.done"]
    assert code == ["print('hi')\n2 ** 10"]
    final = events[-1].response
    assert final.output[0].outputs[0].logs == "hi\n1024"
    assert final.output_text == "value=1024"


def test_sandbox_over_chat(client: OpenAI) -> None:
    completion = client.chat.completions.create(
        model="sandbox_direct", messages=[{"role": "user", "content": "3 * 3"}]
    )
    assert completion.choices[0].message.content == "value=9"
