"""MAF agents over A2A, driven by the official ``a2a-sdk`` client (JSON-RPC, 1.0)."""

from __future__ import annotations

from agenthost.testing.server import ServerHandle

from .framework_checks import (
    check_a2a_input_required_then_resumed,
    check_a2a_task_completes,
    serving,
)

CONFIG = {
    "agents": {
        "coder": {"target": "tests.e2e.maf_agents:coder"},
        "janitor": {"target": "tests.e2e.maf_agents:janitor"},
    },
    "frontends": {"a2a": {}},
}

server = serving(CONFIG)


async def test_an_agent_running_python_in_the_sandbox(server: ServerHandle) -> None:
    await check_a2a_task_completes(server.url + "/a2a/coder", "x = 6 * 7\nx", "Result: 42")


async def test_an_approval_is_input_required_and_the_reply_resumes_the_agent(
    server: ServerHandle,
) -> None:
    await check_a2a_input_required_then_resumed(
        server.url + "/a2a/janitor", "clean up", "delete_file", "yes", "Done: deleted notes.txt"
    )
