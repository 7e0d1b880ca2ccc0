"""A host serving one agent through ``host.runs`` (no HTTP), for the adapter's own tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from agenthost import Host, Message, RunInput
from agenthost.config import parse_config
from agenthost.testing.adapter_suite import KitHost, RunResult


@asynccontextmanager
async def serving(
    agent: Any, options: dict[str, Any] | None = None, **config: Any
) -> AsyncIterator[KitHost]:
    host = Host(parse_config({"frontends": {}, **config}, "<test>"))
    host.add_agent("agent", agent, options=options)
    await host.startup()
    try:
        yield KitHost(host, "agent")
    finally:
        await host.shutdown()


async def run_message(kit: KitHost, message: Message, session: str, **fields: Any) -> RunResult:
    run_input = RunInput(agent="agent", messages=[message], session_id=session, **fields)
    return await kit.collect(await kit.host.runs.start(run_input))
