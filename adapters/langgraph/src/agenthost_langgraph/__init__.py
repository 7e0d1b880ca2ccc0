"""agenthost-langgraph: serve LangGraph graphs with agenthost.

``LangGraphAdapter`` is registered as the ``langgraph`` adapter; ``sandbox_tools()`` gives the
sandbox's tools as LangChain tools; ``ScriptedChatModel`` is an offline chat model for tests
and demos. Names load on first use, so loading the plugin does not import LangGraph.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapter import LangGraphAdapter, LangGraphOptions
    from .testing import ScriptedChatModel
    from .tools import sandbox_tools

_LAZY = {
    "LangGraphAdapter": "adapter",
    "LangGraphOptions": "adapter",
    "ScriptedChatModel": "testing",
    "sandbox_tools": "tools",
}

__all__ = ["LangGraphAdapter", "LangGraphOptions", "ScriptedChatModel", "sandbox_tools"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agenthost_langgraph' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
