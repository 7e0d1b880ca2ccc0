"""Server-sent events shared by every frontend: frame encoding and the streaming response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sse_starlette.sse import EventSourceResponse

PING_SECONDS = 15


def sse_frame(data: str, *, event: str | None = None, id: str | int | None = None) -> bytes:
    """One SSE frame. ``data`` must not contain newlines (JSON from pydantic/json never does)."""
    head = ""
    if id is not None:
        head += f"id: {id}\n"
    if event is not None:
        head += f"event: {event}\n"
    return f"{head}data: {data}\n\n".encode()


def sse_response(frames: AsyncIterator[bytes], *, headers: dict[str, str] | None = None) -> Any:
    """Stream pre-encoded frames (a batch of frames may come as one chunk), with keep-alive pings.

    The client going away cancels the iteration, which is how a frontend notices a disconnect.
    """
    return EventSourceResponse(frames, ping=PING_SECONDS, headers=headers, sep="\n")
