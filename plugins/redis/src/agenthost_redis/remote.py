"""A run another replica holds, as the run registry's ``Run`` type: followed through Redis."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from agenthost.events import Principal, RunInput
from agenthost.runs import Run
from agenthost.store import RunRecord

if TYPE_CHECKING:
    from .bus import RedisRunBus


class RemoteRun(Run):
    """Read-only: ``batches`` replays and follows the run's event stream; never cancelled by
    a reader going away (the owning replica decides that for its own clients)."""

    def __init__(self, record: RunRecord, bus: RedisRunBus):
        run_input = RunInput(
            agent=record.agent,
            messages=record.input,
            session_id=record.session_id,
            principal=Principal(id=record.owner),
        )
        super().__init__(record, run_input, detached=True)
        self._bus = bus

    async def batches(
        self, after: int = -1, coalesce: float = 0.0
    ) -> AsyncGenerator[list[Any], None]:
        async for batch in self._bus.follow(self.record, after):
            self._events.extend(batch)
            yield batch
        self._ended = True
