"""The in-memory store: the embedded default; nothing survives a restart."""

from __future__ import annotations

from typing import Any

from ..events import Message
from .base import RunRecord, Store


class MemoryStore(Store):
    name = "memory"

    def __init__(self, options: Any = None):
        super().__init__(options)
        self._sessions: dict[str, list[Message]] = {}
        self._runs: dict[str, RunRecord] = {}
        self._spaces: dict[str, dict[str, dict[str, Any]]] = {}

    async def append_messages(self, session_id: str, messages: list[Message]) -> None:
        self._sessions.setdefault(session_id, []).extend(m.model_copy() for m in messages)

    async def get_messages(self, session_id: str) -> list[Message]:
        return list(self._sessions.get(session_id, []))

    async def delete_session(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    async def save_run(self, record: RunRecord) -> None:
        self._runs[record.run_id] = record.model_copy()

    async def get_run(self, run_id: str) -> RunRecord | None:
        record = self._runs.get(run_id)
        return record.model_copy() if record else None

    async def put(self, namespace: str, key: str, value: dict[str, Any]) -> None:
        self._spaces.setdefault(namespace, {})[key] = value

    async def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        return self._spaces.get(namespace, {}).get(key)

    async def delete(self, namespace: str, key: str) -> bool:
        return self._spaces.get(namespace, {}).pop(key, None) is not None

    async def scan(
        self, namespace: str, *, after: str | None = None, limit: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        items = list(self._spaces.get(namespace, {}).items())
        if after is not None:
            keys = [k for k, _ in items]
            items = items[keys.index(after) + 1 :] if after in keys else []
        return items[:limit]
