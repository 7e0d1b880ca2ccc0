"""Sessions: one live AgentChat object per session, its state kept in the host's store.

The state (``save_state()``, plus a pending handoff to the user) is written to the host's
store after every run under ``("autogen", "<agent>/<session>")``: in memory (bounded by the
memory store), in the sqlite file, or in the shared store of a scale-out host, so a restart
keeps conversations. Live objects are a bounded cache in front of it; an entry is used only
when it holds the store's latest revision (another replica may have run the session since).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from autogen_core.models import FunctionExecutionResult, FunctionExecutionResultMessage

from agenthost.store import Store

from .blueprint import Blueprint
from .pump import Pump

log = logging.getLogger("agenthost.autogen")

NAMESPACE = "autogen"
CANCELLED = "error: the run was cancelled before this tool returned"


@dataclass
class Session:
    """A session's live object and what the adapter knows about it."""

    key: str
    obj: Any
    revision: int = 0
    handoff_from: str | None = None
    """The agent that handed off to the user in the last run (a Swarm resumes with it)."""
    parked: Pump | None = None
    """A run_stream waiting, inside a user proxy, for the user's answer."""
    busy: bool = False


@dataclass
class Sessions:
    """Per-session objects of one agent (see the module docstring)."""

    agent: str
    blueprint: Blueprint
    max_live: int = 256
    _live: OrderedDict[str, Session] = field(default_factory=OrderedDict)
    _saving: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    def key(self, session_id: str) -> str:
        return f"{self.agent}/{session_id}"

    async def open(self, session_id: str, store: Store | None) -> Session:
        """The session's object, restored from the store when not live (or out of date)."""
        key = self.key(session_id)
        pending = self._saving.pop(key, None)
        if pending is not None:
            await pending  # a cancelled run's repaired state is still being written
        record = await store.get(NAMESPACE, key) if store is not None else None
        revision = int(record.get("revision", 0)) if record else 0
        live = self._live.get(key)
        if live is not None and (live.revision == revision or live.parked is not None):
            self._live.move_to_end(key)
            return live
        if live is not None:
            self.discard(session_id)
        obj = await self.blueprint.make()
        session = Session(key=key, obj=obj, revision=revision)
        if record:
            await obj.load_state(record["state"])
            session.handoff_from = record.get("handoff_from")
        self._live[key] = session
        while len(self._live) > self.max_live:
            _, old = self._live.popitem(last=False)
            self._close(old)
        return session

    async def save(self, session: Session, store: Store | None, state: Mapping[str, Any]) -> None:
        session.revision += 1
        if store is None:
            return
        record = {"revision": session.revision, "state": dict(state),
                  "handoff_from": session.handoff_from}
        await store.put(NAMESPACE, session.key, record)

    def discard(self, session_id: str) -> None:
        """Forget the live object (after a cancel or an error: it is not used again)."""
        session = self._live.pop(self.key(session_id), None)
        if session is not None:
            self._close(session)

    def save_later(self, session: Session, store: Store | None, state: Mapping[str, Any]) -> None:
        """Write ``state`` without awaiting (the run is being cancelled); the session's next
        ``open`` waits for it."""
        task = asyncio.get_running_loop().create_task(self.save(session, store, state))
        self._saving[session.key] = task

    def _close(self, session: Session) -> None:
        if session.parked is not None:
            task = asyncio.get_running_loop().create_task(session.parked.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
            session.parked = None

    async def aclose(self) -> None:
        for key in list(self._live):
            self._close(self._live.pop(key))
        waiting = [*self._closing, *self._saving.values()]
        if waiting:
            await asyncio.wait(waiting, timeout=5)


def repair_state(state: Any) -> Any:
    """``state`` with an error result for every tool call left unanswered (a run cancelled
    mid-tool): without them no model API accepts the conversation."""
    if isinstance(state, dict):
        fixed = {k: repair_state(v) for k, v in state.items()}
        if _is_context(state):
            fixed["messages"] = _answered(fixed.get("messages", []))
        return fixed
    if isinstance(state, list):
        return [repair_state(v) for v in state]
    return state


def _is_context(state: dict[str, Any]) -> bool:
    messages = state.get("messages")
    return isinstance(messages, list) and all(
        isinstance(m, dict) and "type" in m and "content" in m for m in messages
    )


def _answered(messages: list[Any]) -> list[Any]:
    answered = {
        r.get("call_id")
        for m in messages
        if isinstance(m, dict) and m.get("type") == "FunctionExecutionResultMessage"
        for r in m.get("content", [])
    }
    out = list(messages)
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("type") != "AssistantMessage":
            continue
        calls = message.get("content")
        if isinstance(calls, list):
            missing = [c for c in calls if isinstance(c, dict) and c.get("id") not in answered]
            if missing:
                results = [
                    FunctionExecutionResult(
                        call_id=c["id"], name=c.get("name", ""), content=CANCELLED, is_error=True
                    )
                    for c in missing
                ]
                out.append(FunctionExecutionResultMessage(content=results).model_dump())
        break
    return out
