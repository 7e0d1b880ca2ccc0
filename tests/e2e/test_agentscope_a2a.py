"""AgentScope agents over A2A, driven by the official ``a2a-sdk`` client (JSON-RPC, 1.0)."""

from __future__ import annotations

import httpx
from a2a.client.card_resolver import A2ACardResolver

from agenthost.testing.server import ServerHandle

from .agentscope_agents import CONFIG
from .framework_checks import (
    check_a2a_input_required_then_resumed,
    check_a2a_task_completes,
    serving,
)

server = serving(CONFIG)


async def test_the_card_describes_the_agent(server: ServerHandle) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        card = await A2ACardResolver(http, server.url + "/a2a/counter").get_agent_card()
    assert card.description == "You count words, in Python."


async def test_an_agent_running_python_in_the_sandbox(server: ServerHandle) -> None:
    await check_a2a_task_completes(
        server.url + "/a2a/counter", "count these words please", "Your message has 4 words."
    )


async def test_an_approval_is_input_required_and_the_reply_resumes_the_agent(
    server: ServerHandle,
) -> None:
    await check_a2a_input_required_then_resumed(
        server.url + "/a2a/approve", "pay Bob", "transfer", "approve", "Transfer done."
    )
