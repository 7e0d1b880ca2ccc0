"""AutoGen agents over A2A, driven by the official ``a2a-sdk`` client (JSON-RPC, 1.0)."""

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
        "booker": {"target": "tests.e2e.autogen_agents:asker"},
        "echo": {"target": "tests.e2e.autogen_agents:echo"},
    },
    "frontends": {"a2a": {}},
}

server = serving(CONFIG)


async def test_a_handoff_to_the_user_is_input_required_and_the_reply_resumes(
    server: ServerHandle,
) -> None:
    await check_a2a_input_required_then_resumed(
        server.url + "/a2a/booker",
        "book a flight",
        "Which city?",
        "Lisbon",
        "Booked a flight to Lisbon.",
        answer_ends=True,
    )


async def test_a_context_is_one_conversation(server: ServerHandle) -> None:
    client = await client_for(server.url + "/a2a/echo")
    first = await send(client, "alpha")
    assert first.status.state == TaskState.TASK_STATE_COMPLETED and text_of(first) == "alpha"
    second = await send_in_context(client, "beta", first.context_id)  # a new task, same context
    assert second.id != first.id and second.context_id == first.context_id
    assert text_of(second) == "alpha | beta"
    other = await send(client, "gamma")
    assert text_of(other) == "gamma"
    await client.close()
