"""One MAF ``Workflow`` instance serving every session, one run at a time.

A Workflow is a stateful, single-run object: it refuses concurrent runs, keeps its
conversation on the instance, and after a cancelled run its ``WorkflowAgent`` refuses to run
again ("invalid state to restart: IN_PROGRESS", microsoft/agent-framework#3608). So runs
take turns on a lock, and each run writes MAF checkpoints to an in-memory storage: after a
run that did not complete, the next one first restores the checkpoint the last completed run
ended at (MAF's own recovery path), dropping the half-done turn.

Serve a factory instead (a function returning the workflow) for a conversation per session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from agent_framework import (
    AgentResponseUpdate,
    InMemoryCheckpointStorage,
    Message,
    Workflow,
    WorkflowAgent,
    WorkflowRunState,
)

log = logging.getLogger("agenthost.maf")

RUNNABLE = (WorkflowRunState.IDLE, WorkflowRunState.IDLE_WITH_PENDING_REQUESTS)


class WorkflowBroken(RuntimeError):
    """The shared workflow cannot run again (a cancelled run left work in flight)."""


class SharedWorkflow:
    """Runs one workflow instance (as a ``WorkflowAgent``) for all sessions, serialised."""

    def __init__(self, target: Workflow | WorkflowAgent, name: str) -> None:
        self.agent = target if isinstance(target, WorkflowAgent) else target.as_agent(name=name)
        self.name = name
        self._lock = asyncio.Lock()
        self._storage = InMemoryCheckpointStorage()
        self._good: str | None = None  # the checkpoint the last completed run ended at

    @property
    def workflow(self) -> Workflow:
        return self.agent.workflow

    async def run(
        self, messages: list[Message], **kwargs: Any
    ) -> AsyncIterator[AgentResponseUpdate]:
        async with self._lock:
            await self._recover()
            stream = self.agent.run(
                messages, stream=True, checkpoint_storage=self._storage, **kwargs
            )
            async for update in stream:
                yield update
            await self._keep_only(self.workflow.get_last_checkpoint_id())

    async def _recover(self) -> None:
        if self.workflow.status in RUNNABLE:
            return
        if self._good is not None:
            log.info("agent %s: restoring the workflow after an unfinished run", self.name)
            restore = self.workflow.run(
                checkpoint_id=self._good, checkpoint_storage=self._storage, stream=True
            )
            async for _ in restore:
                pass
            return
        # No run completed yet, so there is no turn to keep. With no message in flight the
        # instance is as good as new: only its status still says IN_PROGRESS (MAF sets it
        # back only when a run ends normally), so set it back ourselves.
        if not await self.workflow._runner.context.has_messages():
            self.workflow._status = WorkflowRunState.IDLE
            return
        raise WorkflowBroken(
            f"agent {self.name!r}: the workflow's first run ended with work in flight and "
            "there is no checkpoint to go back to; serve a factory that builds the workflow "
            "(a function returning it) so each session gets its own instance"
        )

    async def _keep_only(self, checkpoint_id: str | None) -> None:
        """Remember ``checkpoint_id`` as the good one and drop every other checkpoint."""
        self._good = checkpoint_id
        for old in await self._storage.list_checkpoint_ids(workflow_name=self.workflow.name):
            if old != checkpoint_id:
                await self._storage.delete(old)
