"""A2A with the a2a-sdk client: both bindings x both protocol versions, unary and streaming,
get, list (paging), resubscribe, and continuing a task that asked for input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from a2a.types import GetTaskRequest, ListTasksRequest, SubscribeToTaskRequest, TaskState
from a2a.utils.errors import UnsupportedOperationError
from google.protobuf.json_format import MessageToDict

from agenthost.testing.server import ServerHandle

from .a2a_fixtures import (
    AGENTS,
    BINDINGS,
    VERSIONS,
    WAIT,
    Gate,
    a2a_frontend,
    artifact_text,
    client_for,
    final_state,
    send,
    serve,
    server_condition,
    streamed_text,
    task_id_of,
    user_message,
)

MATRIX = [(b, v) for b in BINDINGS for v in VERSIONS]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    # One artifact update per delta, so tests can see each chunk.
    with serve(agents=AGENTS, frontend={"merge_deltas": False}) as handle:
        yield handle


@pytest.mark.parametrize(("binding", "version"), MATRIX)
async def test_unary_send_returns_the_completed_task_and_get_finds_it(
    server: ServerHandle, binding: str, version: str
) -> None:
    client = await client_for(server.url, binding, version)
    events = await send(client, user_message("hello brave new world"))
    assert len(events) == 1 and events[0].WhichOneof("payload") == "task"
    task = events[0].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert artifact_text(task) == "hello brave new world "
    assert task.history[0].parts[0].text == "hello brave new world"
    assert task.metadata["usage"]["output_tokens"] == 4  # the run's usage, on the task

    fetched = await client.get_task(GetTaskRequest(id=task.id))
    assert fetched.status.state == TaskState.TASK_STATE_COMPLETED
    assert artifact_text(fetched) == "hello brave new world "
    assert fetched.context_id == task.context_id
    await client.close()


@pytest.mark.parametrize(("binding", "version"), MATRIX)
async def test_streaming_sends_states_and_text_deltas(
    server: ServerHandle, binding: str, version: str
) -> None:
    client = await client_for(server.url, binding, version, streaming=True)
    events = await send(client, user_message("one two three four"))
    kinds = [e.WhichOneof("payload") for e in events]
    assert kinds[0] == "task" and events[0].task.status.state == TaskState.TASK_STATE_SUBMITTED
    states = [e.status_update.status.state for e in events if e.HasField("status_update")]
    assert states[0] == TaskState.TASK_STATE_WORKING
    assert states[-1] == TaskState.TASK_STATE_COMPLETED
    assert kinds.count("artifact_update") >= 4  # one chunk per word (merge_deltas off here)
    assert streamed_text(events) == "one two three four "
    last_chunks = [e.artifact_update for e in events if e.HasField("artifact_update")]
    assert last_chunks[-1].last_chunk and not last_chunks[0].append and last_chunks[1].append

    # The stored task has the text joined, not one part per delta.
    stored = await client.get_task(GetTaskRequest(id=task_id_of(events)))
    assert [p.text for a in stored.artifacts for p in a.parts] == ["one two three four "]
    await client.close()


@pytest.mark.parametrize("binding", BINDINGS)
async def test_tool_calls_files_and_failures_on_the_task(
    server: ServerHandle, binding: str
) -> None:
    client = await client_for(server.url + "/a2a/tools", binding, "1.0", streaming=True)
    events = await send(client, user_message("go"))
    calls = [
        MessageToDict(e.status_update.status.message.parts[0].data)
        for e in events
        if e.HasField("status_update") and e.status_update.status.message.parts
    ]
    assert [c["type"] for c in calls] == ["tool.call", "tool.result"]
    assert calls[0]["arguments"] == {"code": "6 * 7"} and calls[1]["output"] == "42"
    files = [
        p
        for e in events
        if e.HasField("artifact_update")
        for p in e.artifact_update.artifact.parts
        if p.WhichOneof("content") == "raw"
    ]
    assert [(f.filename, f.media_type, f.raw) for f in files] == [
        ("answer.txt", "text/plain", b"42\n")
    ]
    assert final_state(events) == TaskState.TASK_STATE_COMPLETED
    assert "the answer is 42" in streamed_text(events)

    failed = await send(await client_for(server.url + "/a2a/tools", binding), user_message("fail"))
    task = failed[0].task
    assert task.status.state == TaskState.TASK_STATE_FAILED
    assert "the tool broke on purpose" in task.status.message.parts[0].text
    await client.close()


@pytest.mark.parametrize("binding", BINDINGS)
async def test_list_tasks_pages_through_every_task_and_filters_by_context(
    server: ServerHandle, binding: str
) -> None:
    client = await client_for(server.url, binding, "1.0")
    created = []
    for i in range(5):
        events = await send(client, user_message(f"list me {i}", context_id=f"ctx-{binding}"))
        created.append(task_id_of(events))

    seen: list[str] = []
    token = ""
    for _ in range(10):
        page = await client.list_tasks(
            ListTasksRequest(page_size=2, page_token=token, context_id=f"ctx-{binding}")
        )
        assert page.total_size == 5 and len(page.tasks) <= 2
        seen += [t.id for t in page.tasks]
        token = page.next_page_token
        if not token:
            break
    assert sorted(seen) == sorted(created)  # every task once, none twice

    everything = await client.list_tasks(ListTasksRequest(page_size=100))
    assert set(created) <= {t.id for t in everything.tasks}
    await client.close()


@pytest.mark.parametrize(("binding", "version"), MATRIX)
async def test_resubscribe_reattaches_to_a_running_task(
    server: ServerHandle, binding: str, version: str
) -> None:
    gate = Gate()
    url = server.url + "/a2a/gated"
    starter = await client_for(url, binding, version, polling=True)
    events = await send(starter, user_message(gate.key))
    task_id = task_id_of(events)
    await gate.wait_entered()

    watcher = await client_for(url, binding, version, streaming=True)
    received = []

    async def follow() -> None:
        async for event in watcher.subscribe(SubscribeToTaskRequest(id=task_id)):
            received.append(event)
            if len(received) == 1:
                gate.release()

    await asyncio.wait_for(follow(), WAIT)
    first = received[0]
    assert first.WhichOneof("payload") == "task"
    assert first.task.status.state == TaskState.TASK_STATE_WORKING
    assert final_state(received) == TaskState.TASK_STATE_COMPLETED
    assert "released" in streamed_text(received)
    await starter.close()
    await watcher.close()


@pytest.mark.parametrize(("binding", "version"), MATRIX)
async def test_input_required_then_the_next_message_continues_the_task(
    server: ServerHandle, binding: str, version: str
) -> None:
    client = await client_for(server.url + "/a2a/confirm", binding, version)
    first = (await send(client, user_message("delete the logs")))[0].task
    assert first.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    assert first.status.message.parts[0].text == "Proceed? (yes/no)"

    reply = user_message("yes", task_id=first.id, context_id=first.context_id)
    second = (await send(client, reply))[0].task
    assert second.id == first.id
    assert second.status.state == TaskState.TASK_STATE_COMPLETED
    assert "you said yes to 'delete the logs'" in artifact_text(second)
    users = [m.parts[0].text for m in second.history if m.role == 1]  # ROLE_USER
    assert users == ["delete the logs", "yes"]
    await client.close()


async def test_a_message_during_a_turn_is_the_next_turn_and_the_task_does_not_finish_between(
    server: ServerHandle,
) -> None:
    first, second = Gate(), Gate()
    url = server.url + "/a2a/gated"
    client = await client_for(url, "JSONRPC", "1.0", polling=True)
    task = (await send(client, user_message(first.key)))[0].task
    await first.wait_entered()

    follow_up = asyncio.create_task(
        send(client, user_message(second.key, task_id=task.id, context_id=task.context_id))
    )
    executor = a2a_frontend(server).endpoint("gated").executor
    await server_condition(server, lambda: executor.waiting(task.id) == 1, "the follow-up")
    first.release()
    await second.wait_entered()  # the second turn runs the follow-up...
    assert first.finished.is_set()
    between = await client.get_task(GetTaskRequest(id=task.id))
    assert between.status.state == TaskState.TASK_STATE_WORKING  # ...and nothing finished
    second.release()
    await asyncio.wait_for(follow_up, WAIT)

    done = await _wait_for_state(url, "JSONRPC", task.id, TaskState.TASK_STATE_COMPLETED)
    users = [m.parts[0].text for m in done.history if m.role == 1]
    assert users == [first.key, second.key]
    await client.close()


async def test_interrupt_mode_stops_the_running_turn_for_the_new_message() -> None:
    first, second = Gate(), Gate()
    with serve(agents=AGENTS, frontend={"message_while_working": "interrupt"}) as server:
        url = server.url + "/a2a/gated"
        client = await client_for(url, "HTTP+JSON", "1.0", polling=True)
        task = (await send(client, user_message(first.key)))[0].task
        await first.wait_entered()
        await send(client, user_message(second.key, task_id=task.id))
        await second.wait_entered()
        assert first.cancelled.is_set() and not first.finished.is_set()
        between = await client.get_task(GetTaskRequest(id=task.id))
        assert between.status.state == TaskState.TASK_STATE_WORKING  # not canceled
        second.release()
        done = await _wait_for_state(url, "HTTP+JSON", task.id, TaskState.TASK_STATE_COMPLETED)
        assert "released" in artifact_text(done)
        await client.close()


async def _wait_for_state(url: str, binding: str, task_id: str, state: int) -> Any:
    """The task once it is in ``state``: follows its updates to their end (no sleeping)."""
    client = await client_for(url, binding, "1.0", streaming=True)
    async with asyncio.timeout(WAIT):
        try:
            async for _ in client.subscribe(SubscribeToTaskRequest(id=task_id)):
                pass
        except UnsupportedOperationError:
            pass  # already finished: nothing left to follow
        task = await client.get_task(GetTaskRequest(id=task_id))
        await client.close()
        assert task.status.state == state, task.status
        return task


async def burst(text: str) -> AsyncIterator[str]:
    """Yields every word without awaiting: all deltas are ready in one batch."""
    for word in text.split():
        yield word + " "


async def test_deltas_that_arrive_together_go_out_as_one_update() -> None:
    with serve(agents={"burst": burst}) as merging:  # merge_deltas is on by default
        client = await client_for(merging.url, "JSONRPC", "1.0", streaming=True)
        text = " ".join(f"w{i}" for i in range(40))
        events = await send(client, user_message(text))
        updates = [e.artifact_update for e in events if e.HasField("artifact_update")]
        assert streamed_text(events) == text + " "
        assert len(updates) <= 2  # one merged chunk (and the closing one), not 40
        assert updates[-1].last_chunk
        await client.close()
