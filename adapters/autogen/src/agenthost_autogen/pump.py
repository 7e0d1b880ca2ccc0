"""``Pump``: one ``run_stream`` driven in its own task, so it can be stopped for real and can
outlive a run that waits for the user.

Why a task of its own:

- **Cancel.** AgentChat stops only when both its ``CancellationToken`` is cancelled and the
  task iterating ``run_stream`` is (the token alone hangs with a tool in flight,
  microsoft/autogen#7956; the task alone leaves the tool running). A team's ``run_stream``
  then waits in its ``finally`` for its runtime to go idle, which a cancelled tool never lets
  happen: a second cancel ends that wait. ``stop`` does all of it and then stops what the
  team's runtime still runs, so nothing is left behind.
- **A user proxy asking.** A ``UserProxyAgent``'s input is awaited inside the running team:
  the run reports ``run.input_required`` and ends, the pump stays parked until the session's
  next run hands it the answer (``answer``), and that run reads on from the same stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from autogen_agentchat.base import TaskResult
from autogen_core import CancellationToken, SingleThreadedAgentRuntime

log = logging.getLogger("agenthost.autogen")

_END = object()


class Pump:
    """Drives ``obj.run_stream(task=...)`` and hands its items out through ``items()``."""

    def __init__(self, obj: Any, task: Any) -> None:
        self.obj = obj
        self.token = CancellationToken()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._answer: asyncio.Future[str] | None = None
        self._runtime_loop: asyncio.Task[Any] | None = None
        self._stream_task = task
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the stream (in a task that inherits the current run's context)."""
        self._task = asyncio.create_task(self._drive(self._stream_task), name="agenthost-autogen")

    async def _drive(self, task: Any) -> None:
        try:
            stream = self.obj.run_stream(
                task=task, cancellation_token=self.token, output_task_messages=False
            )
            async for item in stream:
                self._note_runtime()
                self._queue.put_nowait(item)
        except BaseException as exc:
            self._queue.put_nowait(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self._queue.put_nowait(_END)

    def _note_runtime(self) -> None:
        # The embedded runtime's message loop; kept so ``stop`` can end it if the team's own
        # shutdown was cut short.
        if self._runtime_loop is None:
            runtime = getattr(self.obj, "_runtime", None)
            context = getattr(runtime, "_run_context", None)
            self._runtime_loop = getattr(context, "_run_task", None)

    async def items(self) -> AsyncIterator[Any]:
        """The stream's items up to and including the ``TaskResult``; raises its errors."""
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, TaskResult):
                return

    async def in_flight(self, turns: int = 200) -> list[Any]:
        """What the stream still delivers within ``turns`` turns of the event loop: a team's
        messages reach its output through its runtime's queue, a few hops behind the work
        (a tool can be running before its call has come out)."""
        items: list[Any] = []
        for _ in range(turns):
            await asyncio.sleep(0)  # one event-loop turn, not a wait for time to pass
            while not self._queue.empty():
                item = self._queue.get_nowait()
                if item is _END or isinstance(item, BaseException):
                    return items
                items.append(item)
        return items

    # -- waiting for the user ------------------------------------------------------------

    async def ask_user(self, prompt: str, cancellation_token: CancellationToken | None) -> str:
        """The ``input_func`` of the team's user proxies: waits for ``answer``."""
        self._answer = asyncio.get_running_loop().create_future()
        if cancellation_token is not None:
            cancellation_token.link_future(self._answer)
        try:
            return await self._answer
        finally:
            self._answer = None

    @property
    def waiting(self) -> bool:
        """A user proxy waits for the user's answer."""
        return self._answer is not None and not self._answer.done()

    def answer(self, text: str) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_result(text)

    # -- stopping ------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop the framework's work now: token, task, the team's runtime."""
        self.token.cancel()
        if self._task is None:
            return
        for _ in range(3):  # the second cancel ends a team's wait for its runtime to idle
            if self._task.done():
                break
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=0.05)
        await self._reap_runtime()
        if not self._task.done():
            log.warning("an AgentChat stream did not stop after its cancel")

    async def _reap_runtime(self) -> None:
        runtime = getattr(self.obj, "_runtime", None)
        if not isinstance(runtime, SingleThreadedAgentRuntime):
            return
        # A cancelled handler leaves the runtime's queue miscounted ("task_done() called too
        # many times"): collect those results so they are not reported as lost, and end the
        # message loop. The object is not used again.
        background = list(getattr(runtime, "_background_tasks", ()))
        for task in background:
            task.cancel()
        loop = self._runtime_loop
        if loop is not None and not loop.done():
            loop.cancel()
            background.append(loop)
        if background:
            await asyncio.wait(background, timeout=0.5)
            for task in background:
                if task.done() and not task.cancelled():
                    with contextlib.suppress(BaseException):
                        task.exception()

    async def aclose(self) -> None:
        """Stop, if still going (a parked pump nobody answered)."""
        if self._task is not None and not self._task.done():
            await self.stop()
