"""The sandbox's neutral tools (``agenthost.sandbox.tools``) as Agno tools.

    from agenthost_agno import sandbox_tools
    agent = Agent(model=..., tools=[*sandbox_tools(), my_tool])

A tool is bound to no sandbox: each call runs in the sandbox of the session whose run it
executes in (found through the run's context), so tools built once at import time serve every
session. Each is an Agno ``Function`` with the neutral tool's JSON schema given as is, so
Agno's reserved parameter names (``agent``, ``team``, ``run_context``, ``images``, ``videos``,
``audios``, ``files``), which it removes from schemas it derives from signatures, cannot
silently drop an argument. A failure the model can act on comes back as an error result.
"""

from __future__ import annotations

from collections.abc import Iterable

from agno.tools.function import Function

from agenthost.sandbox.tools import Tool, raising
from agenthost.sandbox.tools import sandbox_tools as neutral_tools


class SandboxToolError(Exception):
    """A sandbox tool's error text; Agno reports it to the model as the call's error result."""


def sandbox_tools(names: Iterable[str] | None = None) -> list[Function]:
    """``run_python``, ``run_shell``, ``read_file``, ``write_file``, ``list_files`` (or only
    ``names``) as Agno tools bound at call time to the current run's sandbox."""
    return [agno_tool(t) for t in neutral_tools(names)]


def agno_tool(tool: Tool) -> Function:
    """One neutral tool as an Agno ``Function`` (async)."""
    return Function(
        name=tool.name,
        description=tool.description,
        parameters=tool.parameters,
        # an error result raises SandboxToolError → ToolCallCompleted(tool_call_error=True)
        entrypoint=raising(tool, SandboxToolError),
        skip_entrypoint_processing=True,  # the schema above is the schema
    )
