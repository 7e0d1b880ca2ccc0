"""Tasks live in the host's store: with ``sqlite`` they survive a restart."""

from __future__ import annotations

from pathlib import Path

from a2a.types import GetTaskRequest, ListTasksRequest, TaskState

from .a2a_fixtures import (
    AGENTS,
    Gate,
    artifact_text,
    client_for,
    send,
    serve,
    task_id_of,
    user_message,
)


async def test_tasks_survive_a_restart_and_an_open_task_continues(tmp_path: Path) -> None:
    store = {"backend": "sqlite", "path": str(tmp_path / "agenthost.db")}
    gate = Gate()
    with serve(agents=AGENTS, store=store) as server:
        echo = await client_for(server.url + "/a2a/echo", "JSONRPC", "1.0", streaming=True)
        done = task_id_of(await send(echo, user_message("kept over a restart")))
        confirm = await client_for(server.url + "/a2a/confirm", "HTTP+JSON", "1.0")
        waiting = (await send(confirm, user_message("drop the table")))[0].task
        assert waiting.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        gated = await client_for(server.url + "/a2a/gated", "JSONRPC", "1.0", polling=True)
        running = task_id_of(await send(gated, user_message(gate.key)))
        await gate.wait_entered()
        for client in (echo, confirm, gated):
            await client.close()
    # The server is gone: it cancelled the running task's work on the way out.
    assert gate.cancelled.is_set()

    with serve(agents=AGENTS, store=store) as server:
        echo = await client_for(server.url + "/a2a/echo", "HTTP+JSON", "1.0")
        task = await echo.get_task(GetTaskRequest(id=done))
        assert task.status.state == TaskState.TASK_STATE_COMPLETED
        # Streamed as one chunk per word, stored as one text.
        assert [p.text for a in task.artifacts for p in a.parts] == ["kept over a restart "]
        listed = await echo.list_tasks(ListTasksRequest())
        assert done in {t.id for t in listed.tasks}

        gated = await client_for(server.url + "/a2a/gated", "JSONRPC", "1.0")
        stopped = await gated.get_task(GetTaskRequest(id=running))
        assert stopped.status.state == TaskState.TASK_STATE_CANCELED  # not "working" forever

        confirm = await client_for(server.url + "/a2a/confirm", "JSONRPC", "1.0")
        reply = user_message("yes", task_id=waiting.id, context_id=waiting.context_id)
        finished = (await send(confirm, reply))[0].task
        assert finished.status.state == TaskState.TASK_STATE_COMPLETED
        # The agent's memory of the session came back from the store too.
        assert "you said yes to 'drop the table'" in artifact_text(finished)
        for client in (echo, gated, confirm):
            await client.close()
