"""The framework extension point: an ``Adapter`` turns one framework's agent into events."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from .context import RunContext
from .events import Event, RunInput
from .options import NoOptions


class Skill(BaseModel):
    id: str
    name: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)


class AgentInfo(BaseModel):
    """What frontends publish about an agent (A2A cards, ``/v1/models``, ``/agents``)."""

    name: str
    description: str = ""
    version: str = "0.1.0"
    framework: str = ""
    skills: list[Skill] = Field(default_factory=list)
    input_modes: list[str] = Field(default_factory=lambda: ["text/plain"])
    output_modes: list[str] = Field(default_factory=lambda: ["text/plain"])
    streaming: bool = True


class Adapter(ABC):
    """Serve agents of one framework.

    ``run`` yields neutral events (without ``run_id``/``seq``; the host stamps them) or plain
    strings (a string is a text delta). The host emits ``run.started``, fills in
    ``message.completed`` for streamed text the adapter did not complete itself, and the one
    terminal event if the adapter ends without one. Cancelling the task that iterates ``run``
    must stop the framework's work; ``ctx.cancelled`` is set first for cooperative frameworks.
    """

    name: ClassVar[str]
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # `async def run` with `return` instead of `yield` is a coroutine: every run would
        # fail with "'async for' requires an object with __aiter__". Say so where it is made.
        if inspect.iscoroutinefunction(cls.__dict__.get("run")):
            raise TypeError(
                f"{cls.__module__}.{cls.__qualname__}.run must be an async generator: it is "
                "`async def run(...)` without `yield`; yield each event (or text) instead "
                "of returning"
            )

    @classmethod
    def detects(cls, obj: object) -> bool:
        """True when this adapter can serve ``obj`` (used when the config names no adapter)."""
        return False

    def __init__(self, target: Any, options: BaseModel, *, name: str = "", description: str = ""):
        self.target = target
        self.options = options
        self.agent_name = name
        self.description = description

    def describe(self) -> AgentInfo:
        return AgentInfo(name=self.agent_name, description=self.description, framework=self.name)

    async def aclose(self) -> None:
        """Release what the adapter opened (connections, threads); called at host shutdown."""

    async def forget_session(self, session_key: str) -> None:
        """Delete the framework memory kept for a session (``ctx.session_id`` of its runs);
        called when a client deletes the session. The default keeps nothing to delete."""

    @abstractmethod
    def run(self, input: RunInput, ctx: RunContext) -> AsyncIterator[Event | str]:
        """Run one turn; an async generator of events."""
