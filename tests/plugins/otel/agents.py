"""Agents the otel tests serve (plain functions: the built-in ``python`` adapter)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

from agenthost import RunContext, RunInput, ToolCall, ToolResult, Usage, UsageEvent
from agenthost.sandbox.errors import SandboxTimeout


async def calculator(input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
    """One tool call that runs Python in the session's sandbox, then answers."""
    yield ToolCall(call_id="c1", name="run_python", arguments={"code": "21 * 2"})
    sandbox = await ctx.sandbox()
    result = await sandbox.run_python("21 * 2")
    yield ToolResult(call_id="c1", name="run_python", output=result.value)
    yield f"the answer is {result.value}"
    yield UsageEvent(usage=Usage(input_tokens=7, output_tokens=5, total_tokens=12))


async def broken(input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
    """A tool whose sandbox code raises, then times out; the tool reports an error and the
    agent fails."""
    yield ToolCall(call_id="c9", name="run_python", arguments={"code": "1 / 0"})
    sandbox = await ctx.sandbox()
    result = await sandbox.run_python("1 / 0")
    assert result.error is not None
    timed_out = False
    try:  # killed from the host side past its timeout
        await sandbox.run_python("import time; time.sleep(30)", timeout=0.3)
    except SandboxTimeout:
        timed_out = True
    assert timed_out
    yield ToolResult(call_id="c9", name="run_python", output=result.error.type, is_error=True)
    raise RuntimeError("the agent gave up after the tool failed")


class Hold:
    """Holds every ``held`` run until the test releases it (threading events: the server
    runs on its own thread and loop)."""

    WAIT = 15.0  # upper bound on any wait: a hang fails instead of blocking

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()


HOLD = Hold()


async def held(input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
    """Waits (bounded) for ``HOLD.release``, then answers."""
    HOLD.entered.set()
    released = await asyncio.to_thread(HOLD.release.wait, Hold.WAIT)
    assert released, "the test never released the run"
    yield "released"
