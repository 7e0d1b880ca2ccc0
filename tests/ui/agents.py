"""The agents the UI tests serve (plain functions: the built-in ``python`` adapter), and the
``Gate`` a test holds one of them at."""

from __future__ import annotations

import asyncio
import struct
import threading
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from agenthost import (
    Artifact,
    DataPart,
    FilePart,
    InputRequired,
    ReasoningDelta,
    RunContext,
    RunInput,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
)


def png(width: int, height: int) -> bytes:
    """A real PNG (solid blue), so the browser has something to decode."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\x20\x60\xc0" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


PLOT = png(24, 16)
CSV = b"x,y\n1,2\n"


class Gate:
    """Holds an agent at a point: the test sees it arrive, lets it go, or sees it cancelled."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.cancelled = threading.Event()
        self.after = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None

    def wait_entered(self, timeout: float = 15) -> None:
        assert self.entered.wait(timeout), "the agent never reached the gate"

    def open(self) -> None:
        assert self._loop is not None and self._release is not None
        self._loop.call_soon_threadsafe(self._release.set)

    async def hold(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._release = asyncio.Event()
        self.entered.set()
        try:
            await self._release.wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        self.after = True


GATES: dict[str, Gate] = {}  # agent name -> the gate of the test using it


async def stream(input: RunInput) -> AsyncIterator[Any]:
    """Thinks, says "Hello ", waits at its gate, then says "world" and its usage."""
    yield ReasoningDelta(message_id="m_think", text="The user greets me.")
    yield "Hello "
    await GATES["stream"].hold()
    yield "world"
    yield UsageEvent(usage=Usage(input_tokens=3, output_tokens=2, total_tokens=5))


async def tools(input: RunInput) -> AsyncIterator[Any]:
    """A tool that draws a PNG and writes a CSV, and one that fails."""
    yield ToolCall(call_id="c_plot", name="plot", arguments={"title": "blue"})
    yield Artifact(call_id="c_plot", part=FilePart(name="plot.png", mime_type="image/png",
                                                   bytes=PLOT))
    yield Artifact(call_id="c_plot", part=FilePart(name="data.csv", mime_type="text/csv",
                                                   bytes=CSV))
    yield ToolResult(call_id="c_plot", name="plot", output="drew 1 figure")
    yield ToolCall(call_id="c_read", name="read_file", arguments={"path": "missing.txt"})
    yield ToolResult(call_id="c_read", name="read_file",
                     output="FileNotFoundError: missing.txt", is_error=True)
    yield "Here is your plot."


async def slow(input: RunInput) -> AsyncIterator[Any]:
    """Starts a long tool call and waits at its gate (until the test cancels the run)."""
    yield "Working on it. "
    yield ToolCall(call_id="c_long", name="long_task", arguments={})
    await GATES["slow"].hold()
    yield ToolResult(call_id="c_long", name="long_task", output="finished")


ANSWERS: list[Any] = []  # what the approver was answered with, in order


async def approver(input: RunInput) -> AsyncIterator[Any]:
    """Asks before deleting a file; the session's next message is the answer."""
    last = input.messages[-1]
    data = next((p.data for p in last.parts if isinstance(p, DataPart)), None)
    if isinstance(data, dict) and "approved" in data:
        ANSWERS.append((last.text_content, data))
        if data["approved"]:
            yield ToolCall(call_id="c_del", name="delete_file", arguments={"path": "notes.txt"})
            yield ToolResult(call_id="c_del", name="delete_file", output="deleted")
            yield "Deleted notes.txt."
        else:
            yield "Left notes.txt alone."
        return
    yield InputRequired(
        prompt="Approve delete_file(path='notes.txt')?",
        payload={"type": "approval",
                 "calls": [{"name": "delete_file", "arguments": {"path": "notes.txt"}}]},
    )


async def asker(input: RunInput) -> AsyncIterator[Any]:
    """Asks which city when asked about the weather; answers with the next message."""
    if "weather" in input.text:
        yield InputRequired(prompt="Which city?")
    else:
        yield f"Sunny in {input.text}."


async def echo(input: RunInput) -> AsyncIterator[str]:
    """Says back what it was told."""
    yield f"You said: {input.text}"


async def recall(input: RunInput, ctx: RunContext) -> AsyncIterator[str]:
    """Says what the user said earlier in this session (from the host's history)."""
    said = [m.text_content for m in await ctx.history() if m.role == "user"]
    yield f"I remember: {' | '.join(said) or '(nothing)'}"


AGENTS: dict[str, Callable[..., Any]] = {
    "stream": stream, "tools": tools, "slow": slow, "approver": approver,
    "asker": asker, "echo": echo, "recall": recall,
}
