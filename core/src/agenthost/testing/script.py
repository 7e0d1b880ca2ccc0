"""The script a conformance suite hands an adapter's test: what the fake model says, and the
tools the agent gets. Framework-neutral: the adapter's test turns it into its framework's
scripted model and tool type.

Also what every adapter's offline scripted model shares: ``TurnCursor`` follows the model's
turns call by call (a callable turn computed from what the model is sent, an exception turn
raised, ``repeat_last`` after the last), and ``pieces`` cuts a text into the word-sized
chunks the model streams.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
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


# --------------------------------------------------------------------------- scripted models

SEEN_LIMIT = 100
"""How many model calls' messages a scripted model keeps in its ``seen`` list."""


def pieces(text: str) -> list[str]:
    """Word-sized pieces whose concatenation is exactly ``text``."""
    return re.findall(r"\S+\s*|\s+", text)


@dataclass
class TurnCursor:
    """Where a scripted model is in its list of turns.

    Each model call takes the next turn: a callable turn is called with the messages the
    model was sent and stands for what it returns; an exception (given or returned) is raised.
    After the last turn, ``repeat_last`` decides between taking the last turn again and
    failing with ``RuntimeError``. The turns themselves are the framework's own types.
    """

    taken: int = 0
    """How many turns the model has taken (a failing turn counts)."""

    def take(
        self,
        turns: Sequence[Any],
        messages: Sequence[Any],
        *,
        repeat_last: bool = False,
        seen: list[list[Any]] | None = None,
    ) -> Any:
        """The turn answering a model call sent ``messages`` (appended to ``seen``, which
        keeps the last ``SEEN_LIMIT`` calls: a long-running demo server must not grow)."""
        if seen is not None:
            seen.append(list(messages))
            del seen[:-SEEN_LIMIT]
        if self.taken >= len(turns):
            if not repeat_last or not turns:
                raise RuntimeError(f"the script has no turn {self.taken + 1}")
            turn = turns[-1]
        else:
            turn = turns[self.taken]
        self.taken += 1
        if callable(turn) and not isinstance(turn, BaseException):
            turn = turn(list(messages))
        if isinstance(turn, BaseException):
            raise turn
        return turn


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
    "SEEN_LIMIT",
    "Script",
    "ScriptedCall",
    "SlowToolState",
    "Turn",
    "TurnCursor",
    "failing_tool",
    "lookup_tool",
    "pieces",
    "slow_tool",
]
