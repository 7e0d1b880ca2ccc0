"""The sandbox's neutral tools (``agenthost.sandbox.tools``) as MAF ``FunctionTool``s.

    from agenthost_maf import sandbox_tools
    agent = Agent(client=..., tools=[*sandbox_tools(), my_tool])

A tool is bound to no sandbox: each call runs in the sandbox of the session whose run it
executes in (found through the run's context), so tools built once at import time serve every
session. A failure the model can act on (an exception in its code, a timeout) comes back as
the tool's text, so the model reads it; the adapter flags that result ``is_error``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable
from typing import Any

from agent_framework import FunctionTool

from agenthost.sandbox.tools import Tool
from agenthost.sandbox.tools import sandbox_tools as neutral_tools

# Error texts the sandbox tools returned in the current run: MAF's function_result carries no
# error flag for a tool that returned normally, so the adapter looks its results up here.
tool_errors: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "agenthost_maf_tool_errors", default=None
)


def sandbox_tools(names: Iterable[str] | None = None) -> list[FunctionTool]:
    """``run_python``, ``run_shell``, ``read_file``, ``write_file``, ``list_files`` (or only
    ``names``) as MAF tools bound at call time to the current run's sandbox."""
    return [maf_tool(t) for t in neutral_tools(names)]


def maf_tool(tool: Tool) -> FunctionTool:
    """One neutral tool as a MAF ``FunctionTool`` with the tool's own JSON schema."""

    async def call(**arguments: Any) -> str:
        text = await tool(**arguments)
        errors = tool_errors.get()
        if text.is_error and errors is not None:
            errors.append(str(text))
        return str(text)

    return FunctionTool(
        name=tool.name, description=tool.description, func=call, input_model=tool.parameters
    )
