"""Small agents the core tests serve (plain functions: the built-in ``python`` adapter)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from agenthost import RunContext, RunInput, ToolCall, ToolResult, Usage, UsageEvent


async def echo(text: str) -> AsyncIterator[str]:
    """Echoes the text back, word by word."""
    for word in text.split():
        yield word + " "


async def tokens(input: RunInput) -> AsyncIterator[Any]:
    for i in range(20):
        yield f"t{i} "
    yield UsageEvent(usage=Usage(input_tokens=3, output_tokens=20, total_tokens=23))


class Gate:
    """Lets a test hold an agent at a point and see whether code after it ever ran."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.after_release = False
        self.cancelled = False


def slow_agent(gate: Gate) -> Any:
    async def slow(input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
        yield ToolCall(call_id="c1", name="sleep", arguments={})
        gate.entered.set()
        try:
            await gate.release.wait()
        except asyncio.CancelledError:
            gate.cancelled = True
            raise
        gate.after_release = True
        yield ToolResult(call_id="c1", output="done")
        yield "finished"

    return slow


async def boom(input: RunInput) -> AsyncIterator[str]:
    yield "about to fail "
    raise ValueError("the agent broke on purpose")


async def remembers(input: RunInput, ctx: RunContext) -> AsyncIterator[str]:
    history = await ctx.history()
    yield f"history={len(history)} last={history[-1].text_content if history else ''}"


def sync_upper(text: str) -> str:
    return text.upper()


async def returns_value(input: RunInput) -> str:
    return f"got {input.text}"


async def blocks(input: RunInput) -> AsyncIterator[str]:
    """Says it started, then waits until cancelled (or its process is killed)."""
    yield "started "
    await asyncio.Event().wait()
    yield "never"
