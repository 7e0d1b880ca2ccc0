"""Run an ASGI app under a real uvicorn server on an ephemeral loopback port, in a thread.

Tests talk real HTTP to it with any client, sync or async:

    with running_server(AgentApp(config)) as server:
        httpx.get(server.url + "/healthz")
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass
class ServerHandle:
    url: str
    server: uvicorn.Server
    loop: asyncio.AbstractEventLoop
    app: Any

    def call(self, coro: Any, timeout: float = 30) -> Any:
        """Run a coroutine on the server's event loop (to reach the host directly)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@contextmanager
def running_server(
    app: Any, *, host: str = "127.0.0.1", startup_timeout: float = 30
) -> Iterator[ServerHandle]:
    """Serve ``app`` until the block ends; the server shuts down (lifespan included) after."""
    config = uvicorn.Config(
        app, host=host, port=0, log_level="warning", lifespan="on", timeout_graceful_shutdown=5
    )
    server = uvicorn.Server(config)
    loop_box: dict[str, asyncio.AbstractEventLoop] = {}
    failure: list[BaseException] = []

    def serve() -> None:
        loop = asyncio.new_event_loop()
        loop_box["loop"] = loop
        try:
            loop.run_until_complete(server.serve())
        except BaseException as exc:  # surfaced to the caller below
            failure.append(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=serve, name="agenthost-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)  # polling a condition, bounded by the deadline
    if not server.started:
        server.should_exit = True
        thread.join(5)
        raise RuntimeError(f"test server did not start: {failure or 'timeout'}")
    port = server.servers[0].sockets[0].getsockname()[1]
    handle = ServerHandle(f"http://{host}:{port}", server, loop_box["loop"], app)
    try:
        yield handle
    finally:
        server.should_exit = True
        thread.join(30)
