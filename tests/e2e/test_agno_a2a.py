"""Agno agents over A2A, driven by the official ``a2a-sdk`` client (JSON-RPC, 1.0)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from a2a.types import Message, Part, Role, SendMessageRequest, TaskState

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .framework_checks import client_for, send, text_of

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.agno_agents:coder"},
        "janitor": {"target": "tests.e2e.agno_agents:janitor"},
    },
    "frontends": {"a2a": {}},
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as handle:
        yield handle


async def test_an_agent_running_python_in_the_sandbox(server: ServerHandle) -> None:
    client = await client_for(server.url + "/a2a/coder")
    task = await send(client, "x = 6 * 7\nx")
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert text_of(task).endswith("Result: 42")
    # a new task in the same context: the same session, so the same sandbox
    message = Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text="x + 1")],
        context_id=task.context_id,
    )
    async with asyncio.timeout(60):
        events = [e async for e in client.send_message(SendMessageRequest(message=message))]
    again = events[-1].task
    assert again.id != task.id and text_of(again).endswith("Result: 43")
    await client.close()


async def test_a_confirmation_is_input_required_and_the_reply_resumes_the_run(
    server: ServerHandle,
) -> None:
    client = await client_for(server.url + "/a2a/janitor")
    asked = await send(client, "notes.txt")
    assert asked.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    assert 'delete_file(path="notes.txt")' in asked.status.message.parts[0].text
    done = await send(client, "yes", asked)
    assert done.id == asked.id
    assert done.status.state == TaskState.TASK_STATE_COMPLETED
    assert "Done: deleted notes.txt." in text_of(done)
    await client.close()
