"""Stop a Team's members for real when its run is cancelled (agno-agi/agno#7730).

Agno runs each ``delegate_task_to_member`` call in a task of its own (the model's tool runner
starts async-generator tools with ``asyncio.create_task``). Cancelling the task that iterates
the team's stream stops the team but not those tasks: the member's model stream and its running
tool go on to their end. Agno records those tasks per team run id so that its own cancel can
wait for them (``agno.run.cancel.register_member_drain_task``); this module keeps a hold on
them while the run streams and cancels them when the run is cancelled, which cancels the
member's run and its running tool at once. Nested teams are covered: a sub-team's delegate
tasks are recorded under its own run id, which is one of the run ids seen in the stream.
"""

from __future__ import annotations

import asyncio
from typing import Any

try:  # private in agno 3.1; without it a cancel stops the team but not its members' work
    from agno.run.cancel import _member_drain_tasks as _DRAIN
except ImportError:  # pragma: no cover - depends on the agno version
    _DRAIN = {}


class MemberTasks:
    """The member tasks of one run's teams, gathered as its events go by."""

    def __init__(self) -> None:
        self._seen: dict[int, set[asyncio.Task[Any]]] = {}

    def watch(self, event: Any) -> None:
        """Hold on to the delegate tasks agno has recorded so far for the event's team run
        (a member's events name it as their parent)."""
        if not _DRAIN:
            return
        for run_id in (getattr(event, "parent_run_id", None), getattr(event, "run_id", None)):
            tasks = _DRAIN.get(run_id) if run_id else None
            if tasks is not None:
                # agno drops a run's set once it empties and makes a new one on the next
                # delegation: keep every set seen (a set dies with its tasks: no leak).
                self._seen.setdefault(id(tasks), tasks)

    def cancel(self) -> int:
        """Cancel every member task still running; how many there were."""
        running = [t for tasks in self._seen.values() for t in list(tasks) if not t.done()]
        for task in running:
            task.cancel()
        return len(running)
