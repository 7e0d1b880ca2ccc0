"""The sandbox's neutral tools (``agenthost.sandbox.tools``) as LangChain tools.

    from agenthost_langgraph import sandbox_tools
    graph = create_agent(model, [*sandbox_tools(), my_tool])

A tool is bound to no sandbox: each call runs in the sandbox of the session whose run it
executes in (found through the run's context), so tools built once at import time serve every
session. Failures the model can act on come back as error results (``status="error"``).
"""

from __future__ import annotations

from collections.abc import Iterable

from langchain_core.tools import BaseTool, StructuredTool, ToolException

from agenthost.sandbox.tools import Tool, raising
from agenthost.sandbox.tools import sandbox_tools as neutral_tools


def sandbox_tools(names: Iterable[str] | None = None) -> list[BaseTool]:
    """``run_python``, ``run_shell``, ``read_file``, ``write_file``, ``list_files`` (or only
    ``names``) as LangChain tools bound at call time to the current run's sandbox."""
    return [langchain_tool(t) for t in neutral_tools(names)]


def langchain_tool(tool: Tool) -> BaseTool:
    """One neutral tool as a LangChain ``StructuredTool`` (async only)."""
    return StructuredTool(
        name=tool.name,
        description=tool.description,
        args_schema=tool.parameters,
        # an error result raises ToolException → ToolMessage(status="error") with its text
        coroutine=raising(tool, ToolException),
        handle_tool_error=_error_text,
    )


def _error_text(error: ToolException) -> str:
    return str(error)
