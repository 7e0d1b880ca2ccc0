"""The sandbox's neutral tools (``agenthost.sandbox.tools``) as LangChain tools.

    from agenthost_langgraph import sandbox_tools
    graph = create_agent(model, [*sandbox_tools(), my_tool])

A tool is bound to no sandbox: each call runs in the sandbox of the session whose run it
executes in (found through the run's context), so tools built once at import time serve every
session. Failures the model can act on come back as error results (``status="error"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from agenthost.sandbox.tools import Tool
from agenthost.sandbox.tools import sandbox_tools as neutral_tools


def sandbox_tools(names: Iterable[str] | None = None) -> list[BaseTool]:
    """``run_python``, ``run_shell``, ``read_file``, ``write_file``, ``list_files`` (or only
    ``names``) as LangChain tools bound at call time to the current run's sandbox."""
    tools = neutral_tools()
    if names is not None:
        wanted = list(names)
        known = {t.name for t in tools}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise ValueError(f"no sandbox tool named {unknown}; known: {sorted(known)}")
        tools = [t for t in tools if t.name in wanted]
    return [langchain_tool(t) for t in tools]


def langchain_tool(tool: Tool) -> BaseTool:
    """One neutral tool as a LangChain ``StructuredTool`` (async only)."""

    async def call(**arguments: Any) -> str:
        text = await tool(**arguments)
        if text.is_error:
            raise ToolException(str(text))  # → ToolMessage(status="error") with this text
        return str(text)

    return StructuredTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.parameters,
        coroutine=call,
        handle_tool_error=_error_text,
    )


def _error_text(error: ToolException) -> str:
    return str(error)
