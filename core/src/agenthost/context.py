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
    """What one run can reach: its ids, the cancel signal, the session's history and
    sandbox, the store, and ``emit``. The host builds one per run and hands it to
    ``Adapter.run``; code deeper down (a tool) finds it with ``get_run_context()``.

    Attributes:

    - ``run_id``, ``agent``: this run and the agent (config name) it runs.
    - ``session_id``: the owner-scoped session key. Key any framework state on it (two
      principals' sessions of the same name never share it).
    - ``principal``: who started the run.
    - ``cancelled``: an ``asyncio.Event`` set when the run is cancelled, just before the
      task iterating ``run`` is cancelled (for frameworks that stop cooperatively).
    - ``store``: the host's store (``store.state_path(name)`` is where an adapter may keep
      framework state on disk, or None).

    The agent's options are not here: the adapter has them, validated, as
    ``self.options`` (an instance of its ``Options`` model).
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
        store: Store | None = None,
        principal: Principal = ANONYMOUS,
    ) -> None:
        self.run_id = run_id
        self.agent = agent
        self.session_id = session_id
        self.principal = principal
        self.cancelled = asyncio.Event()
        self.store = store
        self._emit = emit
        self._history = history
        self._sandbox = sandbox

    def emit(self, event: Any) -> None:
        """Put an event into this run's stream now (tools use it for artifacts, say)."""
        self._emit(event)

    async def history(self) -> list[Message]:
        """The session's conversation before this run, oldest first: for each earlier run
        that completed (or paused for input), its input messages then its output messages.
        Failed and cancelled runs are left out, and so are tool calls and results (they are
        events, not messages). ``message.text_content`` is a message's text. For frameworks
        that keep no memory of their own."""
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
