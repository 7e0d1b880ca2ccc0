"""A2A tasks and push configs kept in the host's store, so ``sqlite`` keeps them over a restart.

Each principal's tasks and push configs live in its own namespace (``owned_namespace``): a
lookup by another principal finds nothing, exactly as for an id that never existed, and a
scan (``ListTasks``) lists the caller's tasks only.

The SDK saves a task on every event, text deltas included. Writing each of those to disk
would cost a write per token, so progress of a task that stays ``working`` is held in memory
and written with the next change of state (and at shutdown); every state change is written
at once. Artifact text streamed in many chunks is stored joined into one part.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from a2a.server.context import ServerCallContext
from a2a.server.tasks import PushNotificationConfigStore, TaskStore
from a2a.server.tasks.push_notification_config_store import normalize_push_notification_config
from a2a.types import (
    ListTasksRequest,
    ListTasksResponse,
    Message,
    Part,
    Role,
    Task,
    TaskPushNotificationConfig,
    TaskState,
)
from a2a.utils.constants import DEFAULT_LIST_TASKS_PAGE_SIZE
from a2a.utils.errors import InvalidParamsError
from a2a.utils.task import ListTasksCursor, decode_list_tasks_cursor, encode_list_tasks_cursor
from google.protobuf.json_format import MessageToDict, ParseDict

from agenthost.events import Principal
from agenthost.store import Store, owned_namespace

from .owner import principal_of

_SCAN_BATCH = 500
_OWNERS_KEPT = 10_000  # owners of the tasks saved last, for push dispatch (see owner_of)
_DEFERRABLE = frozenset({TaskState.TASK_STATE_WORKING})
_TERMINAL = frozenset(
    {
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_FAILED,
        TaskState.TASK_STATE_CANCELED,
        TaskState.TASK_STATE_REJECTED,
    }
)


def compact(task: Task) -> Task:
    """A copy of ``task`` whose artifacts have runs of plain text parts joined into one."""
    out = Task()
    out.CopyFrom(task)
    for artifact in out.artifacts:
        merged: list[Part] = []
        for part in artifact.parts:
            if _is_plain_text(part) and merged and _is_plain_text(merged[-1]):
                merged[-1].text += part.text
            else:
                copy = Part()
                copy.CopyFrom(part)
                merged.append(copy)
        if len(merged) != len(artifact.parts):
            del artifact.parts[:]
            artifact.parts.extend(merged)
    return out


def _is_plain_text(part: Part) -> bool:
    return part.WhichOneof("content") == "text" and not (
        part.media_type or part.filename or part.HasField("metadata")
    )


def _timestamp_ns(task: Task) -> int | None:
    return task.status.timestamp.ToNanoseconds() if task.status.HasField("timestamp") else None


def _sort_key(ts: int | None, task_id: str) -> tuple[bool, int, str]:
    # The SDK's ListTasks order: newest status first, tasks without a timestamp last.
    return (ts is not None, ts or 0, task_id)


def tasks_namespace(agent: str) -> str:
    """The keyed-space namespace of an agent's tasks (before the owner's part)."""
    return f"a2a.tasks.{agent}"


class HostTaskStore(TaskStore):
    """The SDK's ``TaskStore`` on ``host.store``: one namespace per agent and principal."""

    def __init__(self, store: Store, namespace: str):
        self._store = store
        self._ns = namespace
        # Keyed by (owned namespace, task id): the same id under two owners is two tasks.
        self._pending: dict[tuple[str, str], Task] = {}
        self._written_state: dict[tuple[str, str], int] = {}  # in flight: submitted or working
        self._owners: OrderedDict[str, Principal] = OrderedDict()
        self._changed: asyncio.Event | None = None

    def _key(self, task_id: str, context: ServerCallContext) -> tuple[str, str]:
        return owned_namespace(self._ns, principal_of(context)), task_id

    def owner_of(self, task_id: str) -> Principal | None:
        """The owner of a task saved lately (push delivery asks right after each save)."""
        return self._owners.get(task_id)

    async def save(self, task: Task, context: ServerCallContext) -> None:
        if self._changed is not None:
            self._changed.set()
        key = self._key(task.id, context)
        self._owners[task.id] = principal_of(context)
        self._owners.move_to_end(task.id)
        while len(self._owners) > _OWNERS_KEPT:
            self._owners.popitem(last=False)
        state = task.status.state
        if state in _DEFERRABLE and self._written_state.get(key) == state:
            held = Task()
            held.CopyFrom(task)  # the SDK goes on changing its own object
            self._pending[key] = held
            return
        await self._write(key, task)

    async def _write(self, key: tuple[str, str], task: Task) -> None:
        self._pending.pop(key, None)
        task = compact(task)
        value = {
            "context_id": task.context_id,
            "state": int(task.status.state),
            "ts": _timestamp_ns(task),
            "task": MessageToDict(task),
        }
        await self._store.put(key[0], key[1], value)
        if task.status.state in _DEFERRABLE or task.status.state == TaskState.TASK_STATE_SUBMITTED:
            self._written_state[key] = task.status.state
        else:
            self._written_state.pop(key, None)

    async def flush(self) -> None:
        """Write every task whose latest progress is still only in memory."""
        for key, task in list(self._pending.items()):
            await self._write(key, task)

    async def wait_settled(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) until no task written here is submitted or working."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._written_state and (remaining := deadline - loop.time()) > 0:
            self._changed = asyncio.Event()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                break
        self._changed = None

    async def close_unsettled(self, reason: str) -> None:
        """Record ``canceled`` for tasks still in flight (the host is stopping), then flush."""
        for key in list(self._written_state):
            await self._end(key, TaskState.TASK_STATE_CANCELED, reason, "shutdown")
        await self.flush()

    async def fail_left_over(self, task_id: str, owner: Principal, reason: str) -> None:
        """Record ``failed`` for a task a stopped host left in flight (start-up)."""
        key = (owned_namespace(self._ns, owner), task_id)
        await self._end(key, TaskState.TASK_STATE_FAILED, reason, "host_stopped")

    async def _end(self, key: tuple[str, str], state: Any, reason: str, why: str) -> None:
        task = await self._get(key)
        if task is None or task.status.state in _TERMINAL:
            return
        task_id = key[1]
        task.status.state = state
        task.status.message.CopyFrom(
            Message(
                message_id=f"m_{task_id}_{why}",
                role=Role.ROLE_AGENT,
                task_id=task_id,
                context_id=task.context_id,
                parts=[Part(text=reason)],
            )
        )
        task.status.timestamp.GetCurrentTime()
        await self._write(key, task)

    async def get(self, task_id: str, context: ServerCallContext) -> Task | None:
        return await self._get(self._key(task_id, context))

    async def _get(self, key: tuple[str, str]) -> Task | None:
        pending = self._pending.get(key)
        if pending is not None:
            return compact(pending)
        value = await self._store.get(*key)
        return None if value is None else ParseDict(value["task"], Task())

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        key = self._key(task_id, context)
        self._pending.pop(key, None)
        self._written_state.pop(key, None)
        await self._store.delete(*key)

    async def _summaries(self, namespace: str) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        after: str | None = None
        while True:
            batch = await self._store.scan(namespace, after=after, limit=_SCAN_BATCH)
            out.extend(batch)
            if len(batch) < _SCAN_BATCH:
                return out
            after = batch[-1][0]

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        rows = []
        namespace = owned_namespace(self._ns, principal_of(context))
        for task_id, value in await self._summaries(namespace):
            pending = self._pending.get((namespace, task_id))
            if pending is not None:
                value = {
                    "context_id": pending.context_id,
                    "state": int(pending.status.state),
                    "ts": _timestamp_ns(pending),
                    "task": pending,
                }
            if params.context_id and value["context_id"] != params.context_id:
                continue
            if params.status and value["state"] != params.status:
                continue
            if params.HasField("status_timestamp_after"):
                after_ns = params.status_timestamp_after.ToNanoseconds()
                if value["ts"] is None or value["ts"] < after_ns:
                    continue
            rows.append((_sort_key(value["ts"], task_id), task_id, value))
        rows.sort(key=lambda row: row[0], reverse=True)

        start = 0
        if params.page_token:
            cursor = decode_list_tasks_cursor(params.page_token)
            if cursor is None:
                raise InvalidParamsError(message=f"Invalid page token: {params.page_token}")
            position = cursor.sort_key()
            start = next((i for i, row in enumerate(rows) if row[0] < position), len(rows))
        page_size = params.page_size or DEFAULT_LIST_TASKS_PAGE_SIZE
        page = rows[start : start + page_size]
        next_token = ""
        if start + page_size < len(rows):
            (has_ts, ts, last_id) = page[-1][0]
            next_token = encode_list_tasks_cursor(
                ListTasksCursor(timestamp_ns=ts if has_ts else None, task_id=last_id)
            )
        tasks = []
        for _, _, value in page:
            task = value["task"]
            if isinstance(task, Task):
                tasks.append(compact(task))
            else:
                tasks.append(ParseDict(task, Task()))
        return ListTasksResponse(
            tasks=tasks, next_page_token=next_token, total_size=len(rows), page_size=len(tasks)
        )


class HostPushConfigStore(PushNotificationConfigStore):
    """Push-notification configs on ``host.store``, per principal and task, with a bounded
    read cache.

    Configs live in the namespace of the task's principal, so a config id (the task id when
    the client gave none) names one config of one task of one principal. Delivery finds a
    task's configs through ``owner_of`` (the task store's owner of the task just saved). The
    dispatch path asks on every event, so reads are served from memory once loaded.
    """

    def __init__(
        self,
        store: Store,
        namespace: str,
        owner_of: Callable[[str], Principal | None],
        cache_size: int = 10_000,
    ):
        self._store = store
        self._ns = namespace
        self._owner_of = owner_of
        self._cache: OrderedDict[tuple[str, str], list[TaskPushNotificationConfig]] = OrderedDict()
        self._cache_size = cache_size

    def _key(self, task_id: str, principal: Principal) -> tuple[str, str]:
        return owned_namespace(self._ns, principal), task_id

    async def _load(self, key: tuple[str, str]) -> list[TaskPushNotificationConfig]:
        cached = self._cache.get(key)
        if cached is None:
            value = await self._store.get(*key)
            configs = [
                ParseDict(c, TaskPushNotificationConfig()) for c in (value or {}).get("configs", [])
            ]
            cached = self._remember(key, configs)
        else:
            self._cache.move_to_end(key)
        return cached

    def _remember(
        self, key: tuple[str, str], configs: list[TaskPushNotificationConfig]
    ) -> list[TaskPushNotificationConfig]:
        self._cache[key] = configs
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return configs

    async def _save(self, key: tuple[str, str], configs: list[TaskPushNotificationConfig]) -> None:
        if configs:
            await self._store.put(*key, {"configs": [MessageToDict(c) for c in configs]})
        else:
            await self._store.delete(*key)
        self._remember(key, configs)

    async def set_info(
        self,
        task_id: str,
        notification_config: TaskPushNotificationConfig,
        context: ServerCallContext,
    ) -> TaskPushNotificationConfig:
        key = self._key(task_id, principal_of(context))
        stored = normalize_push_notification_config(task_id, notification_config)
        configs = [c for c in await self._load(key) if c.id != stored.id]
        configs.append(stored)
        await self._save(key, configs)
        result = TaskPushNotificationConfig()
        result.CopyFrom(stored)
        return result

    async def get_info(
        self, task_id: str, context: ServerCallContext
    ) -> list[TaskPushNotificationConfig]:
        return list(await self._load(self._key(task_id, principal_of(context))))

    async def get_info_for_dispatch(self, task_id: str) -> list[TaskPushNotificationConfig]:
        owner = self._owner_of(task_id)
        if owner is None:  # not saved here lately: no event of it to deliver
            return []
        return list(await self._load(self._key(task_id, owner)))

    async def delete_info(
        self, task_id: str, context: ServerCallContext, config_id: str | None = None
    ) -> None:
        key = self._key(task_id, principal_of(context))
        configs = await self._load(key)
        remaining = [] if config_id is None else [c for c in configs if c.id != config_id]
        if len(remaining) != len(configs):
            await self._save(key, remaining)
