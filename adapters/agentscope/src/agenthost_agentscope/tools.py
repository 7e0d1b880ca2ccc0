"""Tools for AgentScope agents: the host's sandbox tools, and plain functions made safe to serve.

    from agenthost_agentscope import function_tool, sandbox_tools
    toolkit = Toolkit(tools=[*sandbox_tools(), function_tool(my_lookup)])

AgentScope takes only ``ToolBase`` objects (a bare function in a ``Toolkit`` fails at reply
time), asks the user before every ``FunctionTool`` call unless it was built with an ALLOW
permission, and calls a sync function on the event loop's thread (stalling every other run).
``function_tool`` deals with all three. A sandbox tool is bound to no sandbox: each call runs
in the sandbox of the session whose run it executes in, so tools built once serve every session.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from agentscope.message import TextBlock, ToolResultState
from agentscope.permission import PermissionBehavior, PermissionDecision
from agentscope.tool import FunctionTool, ToolBase, ToolChunk

from agenthost.sandbox.tools import Tool
from agenthost.sandbox.tools import sandbox_tools as neutral_tools

ALLOW = PermissionDecision(
    behavior=PermissionBehavior.ALLOW, message="allowed by the agenthost configuration"
)


def function_tool(fn: Callable[..., Any], *, ask: bool = False, **kwargs: Any) -> FunctionTool:
    """``fn`` as a ``FunctionTool``: allowed without asking (unless ``ask``), a sync ``fn``
    run in a worker thread. ``kwargs`` go to ``FunctionTool`` (name, description, ...)."""
    func: Callable[..., Any] = fn
    plain = not (
        inspect.iscoroutinefunction(fn)
        or inspect.isasyncgenfunction(fn)
        or inspect.isgeneratorfunction(fn)
    )
    if plain:

        @functools.wraps(fn)  # keeps the signature and docstring the schema is read from
        async def in_thread(**arguments: Any) -> Any:
            return await asyncio.to_thread(fn, **arguments)

        func = in_thread
    if not ask:
        kwargs.setdefault("permission", ALLOW)
    return FunctionTool(func, **kwargs)


def sandbox_tools(names: Iterable[str] | None = None) -> list[ToolBase]:
    """``run_python``, ``run_shell``, ``read_file``, ``write_file``, ``list_files`` (or only
    ``names``) as allowed ``FunctionTool``s bound at call time to the current run's sandbox."""
    return [agentscope_tool(t) for t in neutral_tools(names)]


def agentscope_tool(tool: Tool) -> FunctionTool:
    """One neutral tool as an allowed ``FunctionTool``; its error results keep the error state."""

    async def call(**arguments: Any) -> ToolChunk:
        text = await tool(**arguments)
        state = ToolResultState.ERROR if text.is_error else ToolResultState.RUNNING
        return ToolChunk(content=[TextBlock(text=str(text))], state=state)

    return FunctionTool(
        call,
        name=tool.name,
        description=tool.description,
        input_schema=tool.parameters,
        permission=ALLOW,
    )
