"""The sandbox's neutral tools (``agenthost.sandbox.tools``) as AutoGen tools.

    from agenthost_autogen import sandbox_tools
    agent = AssistantAgent("coder", model_client=client, tools=[*sandbox_tools(), my_tool])

A tool is bound to no sandbox: each call runs in the sandbox of the session whose run it
executes in (found through the run's context), so tools built once at import time serve every
session. They are async on purpose: AutoGen runs a sync tool in a worker thread, where the
run's context is not visible. A failure the model can act on comes back as an error result
(``is_error``).
"""

from __future__ import annotations

from collections.abc import Iterable

from autogen_core.tools import FunctionTool

from agenthost.sandbox.tools import Tool, raising
from agenthost.sandbox.tools import sandbox_tools as neutral_tools


class SandboxToolError(Exception):
    """A sandbox tool's error text; AutoGen reports it to the model with ``is_error``."""


def sandbox_tools(names: Iterable[str] | None = None) -> list[FunctionTool]:
    """``run_python``, ``run_shell``, ``read_file``, ``write_file``, ``list_files`` (or only
    ``names``) as AutoGen ``FunctionTool``s bound at call time to the current run's sandbox."""
    return [autogen_tool(t) for t in neutral_tools(names)]


def autogen_tool(tool: Tool) -> FunctionTool:
    """One neutral tool as an async AutoGen ``FunctionTool`` (its signature gives the schema)."""

    return FunctionTool(
        raising(tool, SandboxToolError), description=tool.description, name=tool.name
    )
