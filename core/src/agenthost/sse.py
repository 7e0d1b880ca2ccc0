"""Server-sent events shared by every frontend: frame encoding and the streaming response.

``EventStream`` is a small ASGI response rather than sse-starlette's ``EventSourceResponse``:
the latter runs an anyio task group of three tasks per stream and one ``send`` per event,
which measured as the largest per-request cost on the 20-token benchmark (bench/). This one
sends whatever frames are ready as one chunk and uses a single helper task per stream that
both watches for the client going away and sends keep-alive pings when the stream is idle.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

PING_SECONDS = 15.0
PING_FRAME = b": ping\n\n"


def sse_frame(data: str, *, event: str | None = None, id: str | int | None = None) -> bytes:
    """One SSE frame. ``data`` must not contain newlines (JSON from pydantic/json never does)."""
    head = ""
    if id is not None:
        head += f"id: {id}\n"
    if event is not None:
        head += f"event: {event}\n"
    return f"{head}data: {data}\n\n".encode()


class EventStream(Response):
    """Stream pre-encoded SSE frames (a batch of frames may come as one chunk).

    A ``Response`` so that routers (FastAPI's included) pass it through as it is; it sends
    itself and uses none of ``Response``'s body machinery.

    When the client disconnects, the iteration of ``frames`` is cancelled (so an ``async with``
    subscription inside it exits early, which is how a run learns its client went away).
    """

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        *,
        headers: dict[str, str] | None = None,
        ping_seconds: float = PING_SECONDS,
        status_code: int = 200,
    ):
        self.frames = frames
        self.status_code = status_code
        self.ping_seconds = ping_seconds
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),  # tell nginx-like proxies not to buffer
        ] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        producer = asyncio.current_task()
        assert producer is not None
        lock = asyncio.Lock()
        started = gone = False

        async def watch() -> None:
            nonlocal gone
            while True:
                try:
                    message = await asyncio.wait_for(receive(), self.ping_seconds)
                except TimeoutError:
                    if started:
                        async with lock:
                            await send(
                                {
                                    "type": "http.response.body",
                                    "body": PING_FRAME,
                                    "more_body": True,
                                }
                            )
                    continue
                if message["type"] == "http.disconnect":
                    gone = True
                    producer.cancel()
                    return

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            # Start the frames before the headers: a frontend's subscription is then open, so
            # a client that is already gone still cancels its run (via aclose below).
            first = await anext(self.frames, b"")
            await send(
                {
                    "type": "http.response.start",
                    "status": self.status_code,
                    "headers": self.raw_headers,
                }
            )
            started = True
            if first:
                async with lock:
                    await send({"type": "http.response.body", "body": first, "more_body": True})
            async for chunk in self.frames:
                async with lock:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            async with lock:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not gone:
                raise
            producer.uncancel()  # the client left: a normal end for us
        except OSError:
            pass  # the client left while we were writing
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            with contextlib.suppress(Exception):
                await self.frames.aclose()  # type: ignore[attr-defined]


def sse_response(frames: AsyncIterator[bytes], *, headers: dict[str, str] | None = None) -> Any:
    """An ``EventStream`` of ``frames``: what a frontend returns from a streaming handler."""
    return EventStream(frames, headers=headers)
