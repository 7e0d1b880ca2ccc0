"""What an adapter (and a tool running inside a run) can reach of its run: ``RunContext``.

The host sets ``current_run`` for the duration of each run's task, so code deep inside a
framework (a tool function, say) finds its run, session and sandbox without being passed them.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .events import ANONYMOUS, Message, Principal

if TYPE_CHECKING:
    from .sandbox.api import Sandbox
    from .store import Store


class RunContext:
    """Per-run handles: ids, the cancel signal, the session's history and sandbox, ``emit``.

    ``session_id`` is the owner-scoped session key: key any framework state on it (two
    principals' sessions of the same name never share it). ``principal`` owns the run.
    """

    def __init__(
        self,
        *,
        run_id: str,
        agent: str,
        session_id: str,
        emit: Callable[[Any], None],
        history: Callable[[], Awaitable[list[Message]]],
        sandbox: Callable[[], Awaitable[Sandbox]],
        options: dict[str, Any] | None = None,
        store: Store | None = None,
        principal: Principal = ANONYMOUS,
    ) -> None:
        self.run_id = run_id
        self.agent = agent
        self.session_id = session_id
        self.principal = principal
        self.cancelled = asyncio.Event()
        self.options = options or {}
        self.store = store  # the host's store: adapters ask it where to keep framework state
        self._emit = emit
        self._history = history
        self._sandbox = sandbox

    def emit(self, event: Any) -> None:
        """Put an event into this run's stream now (tools use it for artifacts, say)."""
        self._emit(event)

    async def history(self) -> list[Message]:
        """Messages of earlier completed runs of this session, oldest first."""
        return await self._history()

    async def sandbox(self) -> Sandbox:
        """The session's sandbox, created on first use and kept for the session's lifetime."""
        return await self._sandbox()


current_run: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar(
    "agenthost_current_run", default=None
)


def get_run_context() -> RunContext:
    """The RunContext of the run this code executes in; raises outside a run."""
    ctx = current_run.get()
    if ctx is None:
        raise RuntimeError("not inside an agenthost run (no RunContext is set)")
    return ctx
