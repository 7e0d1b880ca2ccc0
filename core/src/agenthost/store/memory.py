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
    max_bytes: int = Field(
        default=128 * 1024 * 1024,
        gt=0,
        description="bytes of everything kept; past it, the space written to forgets its least "
        "recently written entries",
    )


class _Meter:
    """The bytes a store holds, across its spaces, against its budget."""

    def __init__(self, budget: int):
        self.budget = budget
        self.used = 0


class _Space(OrderedDict[str, V]):
    """One keyed space: least recently written first, bounded by count and by the meter."""

    def __init__(self, meter: _Meter, cap: int):
        super().__init__()
        self.meter = meter
        self.cap = cap

    @staticmethod
    def size(value: object) -> int:
        if isinstance(value, bytes):
            return len(value)
        if isinstance(value, (list, set)):
            return sum(len(v) if isinstance(v, (bytes, str)) else 8 for v in value)
        return 8

    def put(self, key: str, value: V, *, keep_place: bool = False) -> None:
        """Write ``key``: it becomes the most recent unless ``keep_place`` (an update keeps
        its place, as in sqlite); then the oldest others go while over the count or bytes."""
        if key in self:
            self.meter.used -= self.size(self[key])
            super().__setitem__(key, value)  # an existing key keeps its place in the order
            if not keep_place:
                self.move_to_end(key)
        else:
            super().__setitem__(key, value)
        self.meter.used += self.size(value)
        while len(self) > 1 and (len(self) > self.cap or self.meter.used > self.meter.budget):
            oldest = next(iter(self))
            if oldest == key:
                break
            self.meter.used -= self.size(super().pop(oldest))

    def drop(self, key: str) -> V | None:
        value = super().pop(key, None)
        if value is not None:
            self.meter.used -= self.size(value)
        return value


class MemoryStore(Store):
    name = "memory"
    Options = MemoryOptions

    def __init__(self, options: MemoryOptions | None = None):
        super().__init__(options)
        self.limits = options or MemoryOptions()
        self.meter = _Meter(self.limits.max_bytes)
        self._sessions: _Space[list[bytes]] = _Space(self.meter, self.limits.max_sessions)
        self._runs: _Space[bytes] = _Space(self.meter, self.limits.max_runs)
        self._session_runs: _Space[set[str]] = _Space(self.meter, self.limits.max_runs)
        self._spaces: dict[str, _Space[bytes]] = {}

    async def append_messages(self, session_id: str, messages: list[Message]) -> None:
        history = self._sessions.get(session_id, [])
        self._sessions.put(session_id, history + [m.model_dump_json().encode() for m in messages])

    async def get_messages(self, session_id: str) -> list[Message]:
        return [Message.model_validate_json(m) for m in self._sessions.get(session_id, [])]

    async def delete_messages(self, session_id: str, message_ids: set[str]) -> None:
        history = self._sessions.get(session_id)
        if history is not None:
            kept = [m for m in history if Message.model_validate_json(m).id not in message_ids]
            self._sessions.put(session_id, kept, keep_place=True)

    async def delete_session(self, session_id: str) -> None:
        self._sessions.drop(session_id)
        for run_id in self._session_runs.drop(session_id) or ():
            self._runs.drop(run_id)

    async def save_run(self, record: RunRecord) -> None:
        self._runs.put(record.run_id, record.model_dump_json().encode())
        # A copy: the space measured the set it holds, so it must not change under it.
        runs = set(self._session_runs.get(record.session_key, ()))
        runs.add(record.run_id)
        if len(runs) > 64:  # runs the LRU has dropped leave their ids behind: prune them
            runs.intersection_update(self._runs)
        self._session_runs.put(record.session_key, runs)

    async def delete_run(self, run_id: str) -> None:
        data = self._runs.drop(run_id)
        if data is not None:
            key = RunRecord.model_validate_json(data).session_key
            runs = self._session_runs.get(key)
            if runs is not None and run_id in runs:
                self._session_runs.put(key, runs - {run_id}, keep_place=True)

    async def get_run(self, run_id: str) -> RunRecord | None:
        data = self._runs.get(run_id)
        return RunRecord.model_validate_json(data) if data is not None else None

    async def put(self, namespace: str, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, separators=(",", ":")).encode()
        space = self._spaces.get(namespace)
        if space is None:
            space = self._spaces[namespace] = _Space(self.meter, self.limits.max_records)
        space.put(key, data, keep_place=True)

    async def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        space = self._spaces.get(namespace)
        data = space.get(key) if space is not None else None
        return json.loads(data) if data is not None else None

    async def delete(self, namespace: str, key: str) -> bool:
        space = self._spaces.get(namespace)
        return space is not None and space.drop(key) is not None

    async def scan(
        self, namespace: str, *, after: str | None = None, limit: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        items = list(self._spaces.get(namespace, {}).items())
        if after is not None:
            keys = [k for k, _ in items]
            items = items[keys.index(after) + 1 :] if after in keys else []
        return [(key, json.loads(data)) for key, data in items[:limit]]
