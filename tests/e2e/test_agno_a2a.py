"""Agno agents over A2A, driven by the official ``a2a-sdk`` client (JSON-RPC, 1.0)."""

from __future__ import annotations

from a2a.types import TaskState

from agenthost.testing.server import ServerHandle

from .framework_checks import (
    check_a2a_input_required_then_resumed,
    client_for,
    send,
    send_in_context,
    serving,
    text_of,
)

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.agno_agents:coder"},
        "janitor": {"target": "tests.e2e.agno_agents:janitor"},
    },
    "frontends": {"a2a": {}},
}

server = serving(CONFIG)


async def test_an_agent_running_python_in_the_sandbox(server: ServerHandle) -> None:
    client = await client_for(server.url + "/a2a/coder")
    task = await send(client, "x = 6 * 7\nx")
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert text_of(task).endswith("Result: 42")
    # a new task in the same context: the same session, so the same sandbox
    again = await send_in_context(client, "x + 1", task.context_id)
    assert again.id != task.id and text_of(again).endswith("Result: 43")
    await client.close()


async def test_a_confirmation_is_input_required_and_the_reply_resumes_the_run(
    server: ServerHandle,
) -> None:
    await check_a2a_input_required_then_resumed(
        server.url + "/a2a/janitor",
        "notes.txt",
        'delete_file(path="notes.txt")',
        "yes",
        "Done: deleted notes.txt.",
    )
