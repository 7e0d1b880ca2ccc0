"""Per-session AgentChat objects, made from what the user serves.

An AgentChat agent or team holds exactly one conversation (its model context, its group chat
manager's thread), so each session gets its own object:

- a **factory** (a callable returning a ``ChatAgent`` or ``Team``, sync or async) is called once
  per session object;
- an **instance** is the template: each session gets a ``copy.deepcopy`` of it that shares the
  template's model clients, tools and workbenches (stateless across conversations, and they may
  hold network connections), so nothing a conversation writes is shared. The template itself
  never runs.
"""

from __future__ import annotations

import copy
import inspect
import typing
from collections.abc import Callable, Iterator
from typing import Any

from autogen_agentchat.agents import UserProxyAgent
from autogen_agentchat.base import ChatAgent, Team
from autogen_core import CancellationToken
from autogen_core.models import ChatCompletionClient
from autogen_core.tools import BaseTool, Workbench

InputFunc = Callable[[str, CancellationToken | None], typing.Awaitable[str]]


def is_agentchat(obj: object) -> bool:
    return isinstance(obj, (ChatAgent, Team))


def is_factory(obj: object) -> bool:
    """A callable whose return annotation says it makes an agent or a team."""
    if not callable(obj) or isinstance(obj, type) or is_agentchat(obj):
        return False
    try:
        hints = typing.get_type_hints(obj)
    except Exception:  # unresolvable annotations: not ours to claim
        return False
    made = hints.get("return")
    if typing.get_origin(made) is not None:  # Awaitable[...] / Coroutine[..., ..., X]
        args = typing.get_args(made)
        made = args[-1] if args else None
    return isinstance(made, type) and issubclass(made, (ChatAgent, Team))


class Blueprint:
    """Makes the per-session objects of one served target."""

    def __init__(self, target: Any) -> None:
        if not is_agentchat(target) and not callable(target):
            raise TypeError(f"not an AgentChat agent, team or factory: {target!r}")
        self.target = target
        self.factory = not is_agentchat(target)
        self._shared: dict[int, Any] = {}
        if not self.factory:
            self._shared = {id(o): o for o in _stateless_parts(target)}

    async def make(self) -> ChatAgent | Team:
        if self.factory:
            made = self.target()
            if inspect.isawaitable(made):
                made = await made
            if not is_agentchat(made):
                raise TypeError(
                    f"the factory {getattr(self.target, '__qualname__', self.target)!r} "
                    f"returned {type(made).__name__}, not an AgentChat agent or team"
                )
            return made
        try:
            clone: ChatAgent | Team = copy.deepcopy(self.target, dict(self._shared))
        except Exception as exc:
            raise TypeError(
                f"cannot copy {type(self.target).__name__} for a new session ({exc}); serve a "
                "factory that builds it instead"
            ) from exc
        return clone

    def describe_target(self) -> Any:
        """The object whose name and description describe the agent (None for a factory)."""
        return None if self.factory else self.target


def members(obj: Any) -> Iterator[Any]:
    """``obj`` and, for a team, every participant (nested teams included)."""
    yield obj
    for participant in getattr(obj, "_participants", ()) or ():
        yield from members(participant)


def bridge_user_proxies(obj: Any, input_func: InputFunc) -> list[str]:
    """Point every ``UserProxyAgent`` in ``obj`` at ``input_func`` (instead of a console
    ``input()`` blocking a worker thread); their names."""
    names = []
    for member in members(obj):
        if isinstance(member, UserProxyAgent):
            member.input_func = input_func
            member._is_async = True  # UserProxyAgent decides sync/async once, in __init__
            names.append(member.name)
    return names


def _stateless_parts(obj: Any) -> Iterator[Any]:
    """Model clients, tools and workbenches reachable from an agent or team."""
    seen: set[int] = set()
    stack = [obj]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (ChatCompletionClient, BaseTool, Workbench)):
            yield current
            continue
        if isinstance(current, (list, tuple, set)):
            stack.extend(current)
        elif isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, (ChatAgent, Team)) or _is_handoff(current):
            stack.extend(vars(current).values())


def _is_handoff(obj: Any) -> bool:
    from autogen_agentchat.base import Handoff

    return isinstance(obj, Handoff)
