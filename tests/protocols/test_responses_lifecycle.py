# mypy: disable-error-code="union-attr,index"
# (the SDK types outputs and events as wide unions; tests narrow them by asserting `.type`)
"""Responses beyond one request: background + cancel, retrieve (and its replaying stream),
delete, input items, and a client going away mid-stream cancelling the agent's work."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import AsyncOpenAI, OpenAI
from openai.types.responses import Response, ResponseItemList, ResponseStreamEvent
from pydantic import TypeAdapter

from agenthost.errors import UnknownRun
from agenthost.testing.server import ServerHandle

from .openai_agents import aclient_fixture as aclient_fixture
from .openai_agents import assert_error_shape, new_gate, post_and_go_away, run_of, serve, strict
from .openai_agents import client_fixture as client_fixture
from .openai_agents import server_fixture as server_fixture

EVENT: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def key() -> str:
    return uuid.uuid4().hex


# ----------------------------------------------------------------------------- background


def test_background_cancel_stops_the_agent(client: OpenAI, server: ServerHandle) -> None:
    name = key()
    gate = new_gate(name)
    created = client.responses.create(model="gated", input=name, background=True)
    strict(Response, created)
    assert created.background is True
    assert created.status in ("queued", "in_progress")
    gate.wait_entered()
    running = client.responses.retrieve(created.id)
    strict(Response, running)
    assert running.status == "in_progress"
    assert running.output_text == "one "
    cancelled = client.responses.cancel(created.id)
    strict(Response, cancelled)
    assert cancelled.status == "cancelled"
    # the agent's work was stopped for real: cancelled at its await, never past it
    assert gate.cancelled.is_set() and not gate.after
    assert run_of(server, created.id).status == "cancelled"
    assert client.responses.retrieve(created.id).status == "cancelled"
    [message, job] = cancelled.output
    assert message.type == "message" and job.type == "mcp_call" and job.status == "incomplete"
    # cancelling again is a no-op that returns the response
    assert client.responses.cancel(created.id).status == "cancelled"


async def test_background_completes_async(aclient: AsyncOpenAI) -> None:
    created = await aclient.responses.create(model="tokens", input="go", background=True)
    # follow it to the end through the retrieve stream (no polling)
    stream = await aclient.responses.retrieve(created.id, stream=True)
    events = [e async for e in stream]
    for event in events:
        strict(EVENT, event)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].type == "response.completed"
    final = await aclient.responses.retrieve(created.id)
    strict(Response, final)
    assert final.status == "completed" and final.output_text.startswith("t0 t1")
    assert final.completed_at is not None


def test_cancel_needs_background(client: OpenAI) -> None:
    response = client.responses.create(model="echo", input="x")
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.cancel(response.id)
    assert_error_shape(info.value.response.json(), 400, info.value.status_code)


def test_background_stream_survives_disconnect(server: ServerHandle, client: OpenAI) -> None:
    """A background response belongs to no connection: dropping its stream does not cancel it."""
    name = key()
    gate = new_gate(name)
    body = {"model": "gated", "input": name, "background": True, "stream": True}
    with httpx.stream("POST", server.url + "/v1/responses", json=body, timeout=30) as response:
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        response_id = json.loads(first[6:])["response"]["id"]
        gate.wait_entered()
    gate.open()
    stream = client.responses.retrieve(response_id, stream=True)
    assert [e.type for e in stream][-1] == "response.completed"
    assert client.responses.retrieve(response_id).output_text == "one two"
    assert gate.after


# ----------------------------------------------------------------------------- retrieve


def test_retrieve_matches_create(client: OpenAI) -> None:
    created = client.responses.create(model="tools", input="cats")
    got = client.responses.retrieve(created.id)
    strict(Response, got)
    assert got.model_dump() == created.model_dump()


def test_retrieve_stream_replays_then_follows(client: OpenAI, server: ServerHandle) -> None:
    name = key()
    gate = new_gate(name)
    created = client.responses.create(model="gated", input=name, background=True)
    gate.wait_entered()
    seen: list[Any] = []
    with client.responses.retrieve(created.id, stream=True) as stream:
        for event in stream:
            strict(EVENT, event)
            seen.append(event)
            if event.type == "response.mcp_call.in_progress":
                gate.open()  # everything so far was replayed; the rest must arrive live
    assert [e.sequence_number for e in seen] == list(range(len(seen)))
    types = [e.type for e in seen]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "response.mcp_call.completed" in types
    assert seen[-1].response.output_text == "one two"
    # starting_after: only what came after that sequence number
    with client.responses.retrieve(created.id, stream=True, starting_after=4) as stream:
        tail = list(stream)
    assert [e.sequence_number for e in tail] == list(range(5, len(seen)))
    assert [e.model_dump() for e in tail] == [e.model_dump() for e in seen[5:]]


def test_retrieve_stream_after_run_left_memory(client: OpenAI, server: ServerHandle) -> None:
    """Once the run's events are gone, the stored response is streamed from its items."""
    created = client.responses.create(model="tools", input="cats")
    runs = server.app.host.runs
    server.call(_forget(runs, created.id))
    assert runs.get(created.id) is None
    events = list(client.responses.retrieve(created.id, stream=True))
    for event in events:
        strict(EVENT, event)
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response
    assert final.model_dump() == created.model_dump()
    assert client.responses.retrieve(created.id).model_dump() == created.model_dump()


async def _forget(runs: Any, run_id: str) -> None:
    """Drop a finished run from memory, as the registry does once its TTL passes."""
    runs.forget(run_id)


def test_retrieve_unknown(client: OpenAI, server: ServerHandle) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.responses.retrieve("resp_missing")
    assert_error_shape(info.value.response.json(), 404, info.value.status_code)
    bad = httpx.get(server.url + "/v1/responses/resp_missing?stream=true&starting_after=x")
    assert bad.status_code == 404
    created = client.responses.create(model="echo", input="x")
    bad = httpx.get(f"{server.url}/v1/responses/{created.id}?stream=true&starting_after=x")
    error = assert_error_shape(bad.json(), 400, bad.status_code)
    assert error["param"] == "starting_after"


def test_input_items(client: OpenAI) -> None:
    created = client.responses.create(
        model="echo",
        input=[
            {"role": "system", "content": "sys"},
            {"role": "user", "content": [{"type": "input_text", "text": "hello"}]},
        ],
    )
    page = client.responses.input_items.list(created.id, order="asc")
    strict(ResponseItemList, page)
    assert [(i.role, i.content[0].text) for i in page.data] == [
        ("system", "sys"),
        ("user", "hello"),
    ]
    newest = client.responses.input_items.list(created.id, limit=1)
    assert newest.has_more and newest.data[0].content[0].text == "hello"
    rest = client.responses.input_items.list(created.id, limit=1, after=newest.data[0].id)
    assert not rest.has_more and rest.data[0].content[0].text == "sys"


# ----------------------------------------------------------------------------- delete


def test_delete(client: OpenAI) -> None:
    created = client.responses.create(model="echo", input="x")
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created.id)


def test_delete_running_cancels_it(client: OpenAI, server: ServerHandle) -> None:
    name = key()
    gate = new_gate(name)
    created = client.responses.create(model="gated", input=name, background=True)
    gate.wait_entered()
    client.responses.delete(created.id)
    assert gate.cancelled.is_set() and not gate.after
    # the run is erased with the response, not only the frontend's record
    runs = server.app.host.runs
    assert runs.get(created.id) is None
    with pytest.raises(UnknownRun):
        server.call(runs.record(created.id))
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


# ----------------------------------------------------------------------------- disconnect


def test_disconnect_mid_stream_cancels(server: ServerHandle) -> None:
    name = key()
    gate = new_gate(name)
    body = {"model": "gated", "input": name, "stream": True}
    with httpx.stream("POST", server.url + "/v1/responses", json=body, timeout=30) as response:
        lines = response.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        response_id = json.loads(first[6:])["response"]["id"]
        gate.wait_entered()
    # the connection is closed: the run must end cancelled, its agent stopped at the gate
    assert run_of(server, response_id).status == "cancelled"
    assert gate.cancelled.is_set() and not gate.after


async def test_disconnect_while_waiting_cancels(server: ServerHandle) -> None:
    """A non-streaming client that goes away cancels the run too."""
    name = key()
    gate = new_gate(name)
    body = {"model": "gated", "input": name}
    await post_and_go_away(server.url + "/v1/responses", body, gate)
    assert await asyncio.to_thread(gate.cancelled.wait, 20)
    assert not gate.after


# ----------------------------------------------------------------------------- persistence


def test_stored_responses_survive_a_restart(tmp_path: Path) -> None:
    """With the sqlite store, a response can be retrieved and continued after a restart."""
    store = {"backend": "sqlite", "path": str(tmp_path / "agenthost.db")}
    with serve(store=store) as server:
        client = OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
        first = client.responses.create(model="memory", input="I am Ann")
        client.responses.create(model="memory", input="throwaway", store=False)
    with serve(store=store) as server:
        client = OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)
        again = client.responses.retrieve(first.id)
        strict(Response, again)
        assert again.model_dump() == first.model_dump()
        assert [e.type for e in client.responses.retrieve(first.id, stream=True)][-1] == (
            "response.completed"
        )
        items = client.responses.input_items.list(first.id)
        assert [i.content[0].text for i in items.data] == ["I am Ann"]
        second = client.responses.create(
            model="memory", input="who am I?", previous_response_id=first.id
        )
        assert second.output_text == "turn 2: I am Ann | who am I?"
