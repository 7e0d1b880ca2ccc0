"""The script a conformance suite hands an adapter's test: what the fake model says, and the
tools the agent gets. Framework-neutral: the adapter's test turns it into its framework's
scripted model and tool type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..events import Usage


@dataclass(frozen=True)
class ScriptedCall:
    """A tool call the scripted model makes."""

    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True)
class Turn:
    """One answer of the scripted model."""

    text: str = ""
    tool_calls: tuple[ScriptedCall, ...] = ()
    echo: bool = False
    """Answer with the text of every user message the model was sent, joined by `` | ``."""
    error: str | None = None
    """Raise ``RuntimeError(error)`` instead of answering."""

    def reply(self, user_texts: list[str]) -> str:
        """The text to answer with, given the user messages the model was sent."""
        return " | ".join(user_texts) if self.echo else self.text


@dataclass
class Script:
    """What ``make_agent`` builds an agent from."""

    turns: list[Turn]
    tools: list[Callable[..., Awaitable[Any]]] = field(default_factory=list)
    usage: Usage | None = None
    """Tokens the model reports for each answer, when set."""


# --------------------------------------------------------------------------- the kit's tools


def lookup_tool(token: str, calls: list[str]) -> Callable[..., Awaitable[str]]:
    """``lookup(city)``: answers with ``token`` and the city, so its output cannot be faked."""

    async def lookup(city: str) -> str:
        """Look up the weather in a city."""
        calls.append(city)
        return f"{token}: weather in {city} is sunny"

    lookup.__annotations__ = {"city": str, "return": str}  # real types, not strings
    return lookup


@dataclass
class SlowToolState:
    started: asyncio.Event = field(default_factory=asyncio.Event)
    cancelled: bool = False
    finished: bool = False


def slow_tool(state: SlowToolState) -> Callable[..., Awaitable[str]]:
    """``slow(seconds)``: sleeps, recording whether it was cancelled or ran to the end."""

    async def slow(seconds: int) -> str:
        """Wait for the given number of seconds."""
        state.started.set()
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            state.cancelled = True
            raise
        state.finished = True
        return "finished"

    slow.__annotations__ = {"seconds": int, "return": str}
    return slow


def failing_tool(message: str) -> Callable[..., Awaitable[str]]:
    """``explode(reason)``: raises ``ValueError(message)``."""

    async def explode(reason: str) -> str:
        """Always fails."""
        raise ValueError(message)

    explode.__annotations__ = {"reason": str, "return": str}
    return explode


__all__ = [
    "Script",
    "ScriptedCall",
    "SlowToolState",
    "Turn",
    "failing_tool",
    "lookup_tool",
    "slow_tool",
]
