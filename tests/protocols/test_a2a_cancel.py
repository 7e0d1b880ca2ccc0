"""CancelTask stops the agent's work for real, for polling and streaming clients alike."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from a2a.types import CancelTaskRequest, GetTaskRequest, ListTasksRequest, TaskState
from a2a.utils.errors import TaskNotCancelableError, TaskNotFoundError

from agenthost.testing.server import ServerHandle

from .a2a_fixtures import (
    AGENTS,
    BINDINGS,
    VERSIONS,
    WAIT,
    Gate,
    client_for,
    final_state,
    send,
    serve,
    task_id_of,
    user_message,
)

MATRIX = [(b, v) for b in BINDINGS for v in VERSIONS]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with serve(agents=AGENTS) as handle:
        yield handle


@pytest.mark.parametrize(("binding", "version"), MATRIX)
async def test_cancel_mid_run_stops_the_agent(
    server: ServerHandle, binding: str, version: str
) -> None:
    gate = Gate()
    client = await client_for(server.url + "/a2a/gated", binding, version, polling=True)
    task_id = task_id_of(await send(client, user_message(gate.key)))
    await gate.wait_entered()

    cancelled = await client.cancel_task(CancelTaskRequest(id=task_id))
    assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
    # The agent's own code saw the cancellation where it was waiting, and never went on.
    assert await asyncio.to_thread(gate.cancelled.wait, WAIT)
    assert not gate.finished.is_set()
    fetched = await client.get_task(GetTaskRequest(id=task_id))
    assert fetched.status.state == TaskState.TASK_STATE_CANCELED
    await client.close()


@pytest.mark.parametrize("binding", BINDINGS)
async def test_a_streaming_client_sees_canceled_when_another_client_cancels(
    server: ServerHandle, binding: str
) -> None:
    gate = Gate()
    url = server.url + "/a2a/gated"
    streamer = await client_for(url, binding, "1.0", streaming=True)
    stream = asyncio.create_task(send(streamer, user_message(gate.key)))
    await gate.wait_entered()
    other = await client_for(url, binding, "1.0")
    # The streaming client's task id is only known from its stream: find it by listing.
    listed = await other.list_tasks(ListTasksRequest(status=TaskState.TASK_STATE_WORKING))
    [task] = [t for t in listed.tasks if t.history and t.history[0].parts[0].text == gate.key]
    await other.cancel_task(CancelTaskRequest(id=task.id))

    events = await asyncio.wait_for(stream, WAIT)
    assert final_state(events) == TaskState.TASK_STATE_CANCELED
    assert gate.cancelled.is_set() and not gate.finished.is_set()
    await streamer.close()
    await other.close()


@pytest.mark.parametrize(("binding", "version"), MATRIX)
async def test_cancel_of_a_finished_or_unknown_task_is_refused(
    server: ServerHandle, binding: str, version: str
) -> None:
    client = await client_for(server.url, binding, version)
    done = task_id_of(await send(client, user_message("finish quickly")))
    if (binding, version) == ("HTTP+JSON", "0.3"):
        # a2a-sdk's 0.3 REST client cannot read its server's error bodies: check the statuses.
        headers = {"A2A-Version": "0.3"}
        not_cancelable = httpx.post(f"{server.url}/v1/tasks/{done}:cancel", headers=headers)
        assert not_cancelable.status_code == 400 and "cancel" in not_cancelable.text
        missing = httpx.post(f"{server.url}/v1/tasks/nope:cancel", headers=headers)
        assert missing.status_code == 404
        return
    with pytest.raises(TaskNotCancelableError):
        await client.cancel_task(CancelTaskRequest(id=done))
    with pytest.raises(TaskNotFoundError):
        await client.cancel_task(CancelTaskRequest(id="no-such-task"))
    with pytest.raises(TaskNotFoundError):
        await client.get_task(GetTaskRequest(id="no-such-task"))
    await client.close()
