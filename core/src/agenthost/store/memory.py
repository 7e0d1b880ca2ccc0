"""The in-memory store: the embedded default; nothing survives a restart.

Everything is bounded: past its cap each space forgets its least recently written entries,
so a long-running host with one-off sessions (every Chat Completions request is one) does not
grow without limit. Messages and run records are kept as JSON bytes, which the garbage
collector never scans (tens of thousands of kept pydantic objects made full collections slow).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..events import Message
from .base import RunRecord, Store

V = TypeVar("V")


class MemoryOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_sessions: int = Field(default=10_000, gt=0, description="sessions whose history is kept")
    max_runs: int = Field(default=100_000, gt=0, description="run records kept")
    max_records: int = Field(default=100_000, gt=0, description="entries per frontend namespace")


def _put(space: OrderedDict[str, V], key: str, value: V, cap: int) -> None:
    space[key] = value
    space.move_to_end(key)
    while len(space) > cap:
        space.popitem(last=False)


class MemoryStore(Store):
    name = "memory"
    Options = MemoryOptions

    def __init__(self, options: MemoryOptions | None = None):
        super().__init__(options)
        self.limits = options or MemoryOptions()
        self._sessions: OrderedDict[str, list[bytes]] = OrderedDict()
        self._runs: OrderedDict[str, bytes] = OrderedDict()
        self._session_runs: OrderedDict[str, set[str]] = OrderedDict()  # session -> run ids
        self._spaces: dict[str, OrderedDict[str, bytes]] = {}

    async def append_messages(self, session_id: str, messages: list[Message]) -> None:
        history = self._sessions.get(session_id, [])
        history = history + [m.model_dump_json().encode() for m in messages]
        _put(self._sessions, session_id, history, self.limits.max_sessions)

    async def get_messages(self, session_id: str) -> list[Message]:
        return [Message.model_validate_json(m) for m in self._sessions.get(session_id, [])]

    async def delete_messages(self, session_id: str, message_ids: set[str]) -> None:
        history = self._sessions.get(session_id)
        if history is not None:
            kept = [m for m in history if Message.model_validate_json(m).id not in message_ids]
            self._sessions[session_id] = kept

    async def delete_session(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)
        for run_id in self._session_runs.pop(session_id, ()):
            self._runs.pop(run_id, None)

    async def save_run(self, record: RunRecord) -> None:
        _put(self._runs, record.run_id, record.model_dump_json().encode(), self.limits.max_runs)
        runs = self._session_runs.get(record.session_key, set())
        runs.add(record.run_id)
        if len(runs) > 64:  # runs the LRU has dropped leave their ids behind: prune them
            runs.intersection_update(self._runs)
        _put(self._session_runs, record.session_key, runs, self.limits.max_runs)

    async def delete_run(self, run_id: str) -> None:
        data = self._runs.pop(run_id, None)
        if data is not None:
            key = RunRecord.model_validate_json(data).session_key
            self._session_runs.get(key, set()).discard(run_id)

    async def get_run(self, run_id: str) -> RunRecord | None:
        data = self._runs.get(run_id)
        return RunRecord.model_validate_json(data) if data is not None else None

    async def put(self, namespace: str, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, separators=(",", ":")).encode()
        space = self._spaces.setdefault(namespace, OrderedDict())
        if key in space:
            space[key] = data  # an update keeps its place, as in sqlite
            return
        _put(space, key, data, self.limits.max_records)

    async def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        space = self._spaces.get(namespace)
        data = space.get(key) if space is not None else None
        return json.loads(data) if data is not None else None

    async def delete(self, namespace: str, key: str) -> bool:
        space = self._spaces.get(namespace)
        return space is not None and space.pop(key, None) is not None

    async def scan(
        self, namespace: str, *, after: str | None = None, limit: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        items = list(self._spaces.get(namespace, {}).items())
        if after is not None:
            keys = [k for k, _ in items]
            items = items[keys.index(after) + 1 :] if after in keys else []
        return [(key, json.loads(data)) for key, data in items[:limit]]
