"""agenthost-agentscope: serve AgentScope 2.x agents and pipelines with agenthost.

``AgentScopeAdapter`` is registered as the ``agentscope`` adapter; ``sandbox_tools()`` gives the
sandbox's tools as AgentScope ``FunctionTool``s and ``function_tool()`` makes a plain function
servable; ``ScriptedChatModel`` is an offline chat model for tests and demos. Names load on
first use, so loading the plugin does not import AgentScope (a 2 s import).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapter import AgentScopeAdapter, AgentScopeOptions
    from .testing import ScriptedAnswer, ScriptedChatModel
    from .tools import function_tool, sandbox_tools

_LAZY = {
    "AgentScopeAdapter": "adapter",
    "AgentScopeOptions": "adapter",
    "ScriptedAnswer": "testing",
    "ScriptedChatModel": "testing",
    "function_tool": "tools",
    "sandbox_tools": "tools",
}

__all__ = [
    "AgentScopeAdapter",
    "AgentScopeOptions",
    "ScriptedAnswer",
    "ScriptedChatModel",
    "function_tool",
    "sandbox_tools",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agenthost_agentscope' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
