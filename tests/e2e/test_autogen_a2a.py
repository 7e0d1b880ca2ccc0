"""AutoGen agents over A2A, driven by the official ``a2a-sdk`` client (JSON-RPC, 1.0)."""

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
        "booker": {"target": "tests.e2e.autogen_agents:asker"},
        "echo": {"target": "tests.e2e.autogen_agents:echo"},
    },
    "frontends": {"a2a": {}},
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as handle:
        yield handle


async def test_a_handoff_to_the_user_is_input_required_and_the_reply_resumes(
    server: ServerHandle,
) -> None:
    client = await client_for(server.url + "/a2a/booker")
    asked = await send(client, "book a flight")
    assert asked.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    assert "Which city?" in asked.status.message.parts[0].text
    done = await send(client, "Lisbon", asked)
    assert done.id == asked.id
    assert done.status.state == TaskState.TASK_STATE_COMPLETED
    assert text_of(done).endswith("Booked a flight to Lisbon.")
    await client.close()


async def test_a_context_is_one_conversation(server: ServerHandle) -> None:
    client = await client_for(server.url + "/a2a/echo")
    first = await send(client, "alpha")
    assert first.status.state == TaskState.TASK_STATE_COMPLETED and text_of(first) == "alpha"
    follow_up = Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text="beta")],
        context_id=first.context_id,  # a new task in the same context
    )
    async with asyncio.timeout(60):
        events = [e async for e in client.send_message(SendMessageRequest(message=follow_up))]
    second = events[-1].task
    assert second.id != first.id and second.context_id == first.context_id
    assert text_of(second) == "alpha | beta"
    other = await send(client, "gamma")
    assert text_of(other) == "gamma"
    await client.close()
