"""LangGraph agents over A2A, driven by the official ``a2a-sdk`` client (JSON-RPC, 1.0)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from a2a.client import Client, ClientConfig, ClientFactory
from a2a.client.card_resolver import A2ACardResolver
from a2a.types import Message, Part, Role, SendMessageRequest, Task, TaskState

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.langgraph_agents:coder"},
        "approve": {"target": "tests.e2e.langgraph_agents:approve"},
    },
    "frontends": {"a2a": {}},
}


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(AgentApp(parse_config(CONFIG, "<test>"))) as handle:
        yield handle


async def client_for(url: str) -> Client:
    http = httpx.AsyncClient(timeout=60)
    card = await A2ACardResolver(http, url).get_agent_card()
    config = ClientConfig(
        streaming=False, supported_protocol_bindings=["JSONRPC"], httpx_client=http
    )
    return ClientFactory(config).create(card)


async def send(client: Client, text: str, task: Task | None = None) -> Task:
    message = Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text=text)],
        task_id=task.id if task else "",
        context_id=task.context_id if task else "",
    )
    async with asyncio.timeout(60):
        events = [e async for e in client.send_message(SendMessageRequest(message=message))]
    assert events and events[-1].WhichOneof("payload") == "task", events
    return events[-1].task


def text_of(task: Task) -> str:
    return "".join(p.text for a in task.artifacts for p in a.parts)


async def test_a_graph_running_python_in_the_sandbox(server: ServerHandle) -> None:
    client = await client_for(server.url + "/a2a/coder")
    task = await send(client, "x = 6 * 7\nx")
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert text_of(task).endswith("Result: 42")
    await client.close()


async def test_an_interrupt_is_input_required_and_the_reply_resumes_the_graph(
    server: ServerHandle,
) -> None:
    client = await client_for(server.url + "/a2a/approve")
    asked = await send(client, "send 10 to Bob")
    assert asked.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    assert "Approve the transfer?" in asked.status.message.parts[0].text
    done = await send(client, "yes", asked)
    assert done.id == asked.id
    assert done.status.state == TaskState.TASK_STATE_COMPLETED
    assert "Transfer approved." in text_of(done)
    await client.close()
