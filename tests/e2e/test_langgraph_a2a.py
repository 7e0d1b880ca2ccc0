"""LangGraph agents over A2A, driven by the official ``a2a-sdk`` client (JSON-RPC, 1.0)."""

from __future__ import annotations

from agenthost.testing.server import ServerHandle

from .framework_checks import (
    check_a2a_input_required_then_resumed,
    check_a2a_task_completes,
    serving,
)

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.langgraph_agents:coder"},
        "approve": {"target": "tests.e2e.langgraph_agents:approve"},
    },
    "frontends": {"a2a": {}},
}

server = serving(CONFIG)


async def test_a_graph_running_python_in_the_sandbox(server: ServerHandle) -> None:
    await check_a2a_task_completes(server.url + "/a2a/coder", "x = 6 * 7\nx", "Result: 42")


async def test_an_interrupt_is_input_required_and_the_reply_resumes_the_graph(
    server: ServerHandle,
) -> None:
    await check_a2a_input_required_then_resumed(
        server.url + "/a2a/approve",
        "send 10 to Bob",
        "Approve the transfer?",
        "yes",
        "Transfer approved.",
    )
