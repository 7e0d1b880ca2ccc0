"""What the host persists: session history, run records, and a small keyed space for frontends."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..bus import RunBus
from ..events import Message, Principal, Usage
from ..options import NoOptions

RunStatus = Literal["queued", "running", "completed", "failed", "cancelled", "input_required"]
FINAL_STATUSES = frozenset({"completed", "failed", "cancelled", "input_required"})


class RunRecord(BaseModel):
    """A run's status and result, as kept after its events are gone."""

    model_config = ConfigDict(extra="forbid")

    run_id: str
    agent: str
    session_id: str
    owner: str = "anonymous"  # the id of the principal that started it
    status: RunStatus = "queued"
    created_at: float = Field(default_factory=time.time)
    finished_at: float | None = None
    input: list[Message] = Field(default_factory=list)
    output: list[Message] = Field(default_factory=list)
    usage: Usage | None = None
    error: dict[str, str] | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def session_key(self) -> str:
        """The owner-scoped key of its session (what history and sandboxes are kept under)."""
        return Principal(id=self.owner).key(self.session_id)


class Store(ABC):
    """Persistence for sessions, runs and frontend records (A2A tasks, stored responses).

    The keyed space (``put``/``get``/``delete``/``scan``) holds JSON-able dicts under a
    namespace a frontend chooses, so a frontend needs no schema of its own. Session ids given
    to a store are owner-scoped keys (``Principal.key``); frontends scope their namespaces
    with ``owned_namespace``.
    """

    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None):
        self.options = options

    async def open(self) -> None:
        """Connect / create tables."""

    async def close(self) -> None:
        """Flush and release."""

    def state_path(self, component: str) -> str | None:
        """A file where ``component`` (e.g. an adapter) may keep its own state beside this
        store's; None when this store keeps nothing on disk (then keep it in memory)."""
        return None

    def run_bus(self, registry: Any) -> RunBus:
        """How ``registry`` (a ``RunRegistry``) shares its runs with other replicas through
        this store; by default it does not (see ``agenthost.bus``)."""
        return RunBus()

    @abstractmethod
    async def append_messages(self, session_id: str, messages: list[Message]) -> None: ...

    @abstractmethod
    async def get_messages(self, session_id: str) -> list[Message]: ...

    @abstractmethod
    async def delete_messages(self, session_id: str, message_ids: set[str]) -> None:
        """Remove these messages from the session's history (a deleted response's turn)."""

    @abstractmethod
    async def delete_session(self, session_id: str) -> None:
        """Forget the session: its history and the records of its runs."""

    @abstractmethod
    async def save_run(self, record: RunRecord) -> None: ...

    @abstractmethod
    async def get_run(self, run_id: str) -> RunRecord | None: ...

    @abstractmethod
    async def delete_run(self, run_id: str) -> None: ...

    async def fail_unfinished(self, message: str) -> list[RunRecord]:
        """Mark the runs a stopped host left queued or running as failed; the records changed.

        Called once at start-up. A store nothing survives in keeps the default (none); a
        store shared by replicas must leave other live replicas' runs alone.
        """
        return []

    @abstractmethod
    async def put(self, namespace: str, key: str, value: dict[str, Any]) -> None: ...

    @abstractmethod
    async def get(self, namespace: str, key: str) -> dict[str, Any] | None: ...

    @abstractmethod
    async def delete(self, namespace: str, key: str) -> bool: ...

    @abstractmethod
    async def scan(
        self, namespace: str, *, after: str | None = None, limit: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        """Entries of a namespace in insertion order, after the key ``after``."""


def owned_namespace(namespace: str, principal: Principal) -> str:
    """``namespace`` of the keyed space as seen by ``principal``: records a frontend keeps
    there (tasks, responses) are the principal's alone; scans list only its own."""
    return principal.key(namespace)
