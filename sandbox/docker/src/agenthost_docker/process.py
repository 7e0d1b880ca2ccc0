"""``DockerExecutor``: the executor in one container, as core's ``ExecutorProcess``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import TYPE_CHECKING

from agenthost.sandbox.backend import ExecutorProcess

from .attach import AttachProtocol, AttachStdin

if TYPE_CHECKING:
    from .backend import DockerBackend


class DockerExecutor(ExecutorProcess):
    """The executor in one container: its attach stream as stdin/stdout/stderr."""

    def __init__(
        self, backend: DockerBackend, cid: str, protocol: AttachProtocol, stdin: AttachStdin
    ) -> None:
        self.backend = backend
        self.container_id = cid
        self.protocol = protocol
        self.stdin = stdin
        self.stdout = protocol.stdout
        self.stderr = protocol.stderr
        options = backend.options
        self.info = {
            "backend": "docker",
            "container": cid[:12],
            "image": options.image,
            "runtime": options.runtime or "default",
            "isolation": backend.isolation(),
            "relaxed": list(backend.relaxed),
        }
        self._killed = False
        self._waiter: asyncio.Future[int | None] | None = None

    async def kill(self) -> None:
        if not self._killed:
            self._killed = True
            if self.protocol.transport is not None:
                self.protocol.transport.close()
            with contextlib.suppress(Exception):
                await self.backend._run(self.backend._remove, self.container_id)
        with contextlib.suppress(Exception):
            await self.wait()

    async def wait(self) -> int | None:
        if self._waiter is None:
            self._waiter = asyncio.ensure_future(self._wait())
        return await asyncio.shield(self._waiter)

    async def _wait(self) -> int | None:
        await self.protocol.lost  # the engine ends the stream when the container exits
        status: int | None = -signal.SIGKILL
        assert self.stderr is not None  # this executor always has its stderr stream
        if not self._killed:
            status, oom = await self.backend._run(self.backend._exit, self.container_id)
            if oom:
                limit = self.backend.options.memory
                size = f" ({limit // (1 << 20)} MiB)" if limit else ""
                self.stderr.feed_data(
                    f"\n[agenthost: the container reached its memory limit{size} and the "
                    "executor was OOM-killed]\n".encode()
                )
        self.stderr.feed_eof()
        return status
