"""The ``python`` adapter: serve a plain function as an agent.

The function takes a ``RunInput`` (or, when its first parameter is annotated ``str``, just the
text of the user's message) and optionally a second ``ctx`` parameter (the ``RunContext``).
It may be an async generator, an async function, a generator or a plain function; it yields
or returns events or strings (a string is a text delta). Sync functions run in a thread, so a
cancel stops waiting for them but cannot interrupt them.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..adapter import Adapter
from ..context import RunContext
from ..events import Event, RunInput

_DONE = object()


class PythonAdapter(Adapter):
    name = "python"

    @classmethod
    def detects(cls, obj: object) -> bool:
        return callable(obj) and not isinstance(obj, type)

    def __init__(self, target: Any, options: Any, **kw: Any):
        super().__init__(target, options, **kw)
        signature = inspect.signature(target)
        params = list(signature.parameters.values())
        first = params[0] if params else None
        self._wants_text = first is not None and first.annotation in (str, "str")
        self._wants_ctx = len(params) >= 2
        self._no_args = first is None

    def _args(self, input: RunInput, ctx: RunContext) -> tuple[Any, ...]:
        if self._no_args:
            return ()
        arg = input.text if self._wants_text else input
        return (arg, ctx) if self._wants_ctx else (arg,)

    async def run(self, input: RunInput, ctx: RunContext) -> AsyncIterator[Event | str]:
        fn = self.target
        args = self._args(input, ctx)
        if inspect.isasyncgenfunction(fn) or inspect.isasyncgenfunction(
            getattr(fn, "__call__", None)  # noqa: B004 - callable objects
        ):
            async for item in fn(*args):
                yield item
            return
        if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004
        ):
            result = await fn(*args)
        elif inspect.isgeneratorfunction(fn):
            iterator: Iterator[Any] = fn(*args)
            while (item := await asyncio.to_thread(next, iterator, _DONE)) is not _DONE:
                yield item
            return
        else:
            result = await asyncio.to_thread(fn, *args)
        for item in _as_items(result):
            yield item


def _as_items(result: Any) -> list[Any]:
    if result is None:
        return []
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    return [item if isinstance(item, str) or hasattr(item, "type") else str(item) for item in items]
