"""How a host shares its runs with other replicas of itself.

The run registry calls a ``RunBus`` when a run takes a session (``claim_session``; given
back by ``release_session`` if the run never starts), once it is under way (``started``),
once it has ended and its record is stored (``ended``), and for a run id it does not hold
(``lookup``, ``cancel``). The default
here shares nothing: one process owns all its runs. A store that spans replicas (the
``agenthost-redis`` plugin) returns its own bus from ``Store.run_bus``::

    class MyStore(Store):
        def run_bus(self, registry: RunRegistry) -> RunBus:
            return MyBus(self, registry)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import Principal
    from .run import Run
    from .store import RunRecord


class RunBus:
    """A single replica's bus: every method is a no-op (nothing is shared)."""

    async def claim_session(
        self, session_key: str, run_id: str, *, wait: bool = False
    ) -> str | None:
        """Take ``session_key`` for ``run_id`` cluster-wide. Returns None when taken, else the
        id of the run holding it; ``wait=True`` waits until it is free and takes it."""
        return None

    async def release_session(self, session_key: str, run_id: str) -> None:
        """Give ``session_key`` up if ``run_id`` holds it (a run that never started)."""

    def started(self, run: Run) -> None:
        """``run`` started here: share its events (read them from ``run.batches``, never
        block the caller)."""

    async def ended(self, run: Run) -> None:
        """``run`` ended and its final record is stored: release its session, tell the
        other replicas. Called once per run; must not raise."""

    async def lookup(self, run_id: str, principal: Principal) -> Run | None:
        """``principal``'s run that another replica holds, followable with ``batches``;
        None when there is none (or it is another principal's)."""
        return None

    async def cancel(self, run_id: str, reason: str, principal: Principal) -> RunRecord | None:
        """Cancel ``principal``'s run that another replica holds and return its record once
        it ended (or when the wait is over); None when no other replica holds it."""
        return None
