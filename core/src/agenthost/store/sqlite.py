"""The SQLite store: one file, WAL mode; a restart loses nothing that completed.

sqlite3 blocks, so every statement runs on one dedicated thread (a connection belongs to one
thread) and the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..events import Message
from .base import RunRecord, Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS messages_session ON messages (session_id, id);
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, session_id TEXT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS runs_session ON runs (session_id);
CREATE TABLE IF NOT EXISTS kv (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, namespace TEXT NOT NULL, key TEXT NOT NULL,
    body TEXT NOT NULL, UNIQUE (namespace, key));
"""


class SqliteOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = "agenthost.db"


class SqliteStore(Store):
    name = "sqlite"
    Options = SqliteOptions

    def __init__(self, options: SqliteOptions | None = None):
        super().__init__(options)
        self.path = (options or SqliteOptions()).path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agenthost-sqlite")
        self._db: sqlite3.Connection | None = None

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _connect(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        self._db = db

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        assert self._db is not None, "store is not open"
        return self._db.execute(sql, params).fetchall()

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        assert self._db is not None, "store is not open"
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(sql, rows)

    def state_path(self, component: str) -> str | None:
        if self.path == ":memory:" or self.path.startswith("file::memory:"):
            return None
        path = Path(self.path)
        return str(path.with_name(f"{path.stem}.{component}{path.suffix or '.db'}"))

    async def open(self) -> None:
        await self._call(self._connect)

    async def close(self) -> None:
        if self._db is not None:
            await self._call(self._db.close)
            self._db = None
        self._pool.shutdown(wait=True)

    async def append_messages(self, session_id: str, messages: list[Message]) -> None:
        rows = [(session_id, m.model_dump_json()) for m in messages]
        await self._call(self._many, "INSERT INTO messages (session_id, body) VALUES (?, ?)", rows)

    async def get_messages(self, session_id: str) -> list[Message]:
        rows = await self._call(
            self._exec, "SELECT body FROM messages WHERE session_id=? ORDER BY id", (session_id,)
        )
        return [Message.model_validate_json(r[0]) for r in rows]

    async def delete_messages(self, session_id: str, message_ids: set[str]) -> None:
        rows = await self._call(
            self._exec, "SELECT id, body FROM messages WHERE session_id=?", (session_id,)
        )
        doomed = [(row_id,) for row_id, body in rows
                  if Message.model_validate_json(body).id in message_ids]
        if doomed:
            await self._call(self._many, "DELETE FROM messages WHERE id=?", doomed)

    async def delete_session(self, session_id: str) -> None:
        await self._call(self._exec, "DELETE FROM messages WHERE session_id=?", (session_id,))
        await self._call(self._exec, "DELETE FROM runs WHERE session_id=?", (session_id,))

    async def save_run(self, record: RunRecord) -> None:
        # The session column holds the owner-scoped key: delete_session finds the runs by it.
        await self._call(
            self._exec,
            "INSERT OR REPLACE INTO runs (run_id, session_id, body) VALUES (?, ?, ?)",
            (record.run_id, record.session_key, record.model_dump_json()),
        )

    async def fail_unfinished(self, message: str) -> list[RunRecord]:
        rows = await self._call(
            self._exec,
            "SELECT body FROM runs WHERE json_extract(body, '$.status') IN ('queued', 'running')",
        )
        failed = []
        for (body,) in rows:
            record = RunRecord.model_validate_json(body)
            record.status = "failed"
            record.error = {"code": "host_stopped", "message": message}
            record.finished_at = time.time()
            await self.save_run(record)
            failed.append(record)
        return failed

    async def delete_run(self, run_id: str) -> None:
        await self._call(self._exec, "DELETE FROM runs WHERE run_id=?", (run_id,))

    async def get_run(self, run_id: str) -> RunRecord | None:
        rows = await self._call(self._exec, "SELECT body FROM runs WHERE run_id=?", (run_id,))
        return RunRecord.model_validate_json(rows[0][0]) if rows else None

    async def put(self, namespace: str, key: str, value: dict[str, Any]) -> None:
        await self._call(
            self._exec,
            "INSERT INTO kv (namespace, key, body) VALUES (?, ?, ?) "
            "ON CONFLICT (namespace, key) DO UPDATE SET body=excluded.body",
            (namespace, key, json.dumps(value)),
        )

    async def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        rows = await self._call(
            self._exec, "SELECT body FROM kv WHERE namespace=? AND key=?", (namespace, key)
        )
        return json.loads(rows[0][0]) if rows else None

    async def delete(self, namespace: str, key: str) -> bool:
        rows = await self._call(
            self._exec,
            "DELETE FROM kv WHERE namespace=? AND key=? RETURNING seq",
            (namespace, key),
        )
        return bool(rows)

    async def scan(
        self, namespace: str, *, after: str | None = None, limit: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        start = 0
        if after is not None:
            rows = await self._call(
                self._exec, "SELECT seq FROM kv WHERE namespace=? AND key=?", (namespace, after)
            )
            if not rows:
                return []
            start = rows[0][0]
        rows = await self._call(
            self._exec,
            "SELECT key, body FROM kv WHERE namespace=? AND seq>? ORDER BY seq LIMIT ?",
            (namespace, start, limit),
        )
        return [(k, json.loads(b)) for k, b in rows]
