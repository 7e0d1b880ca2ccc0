"""agenthost-autogen: serve AutoGen AgentChat agents and teams with agenthost.

``AutoGenAdapter`` is registered as the ``autogen`` adapter; ``sandbox_tools()`` gives the
sandbox's tools as AutoGen tools; ``ScriptedChatClient`` is an offline model client for tests
and demos. Names load on first use, so loading the plugin does not import AutoGen.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapter import AutoGenAdapter, AutoGenOptions
    from .testing import Answer, ScriptedChatClient
    from .tools import sandbox_tools

_LAZY = {
    "Answer": "testing",
    "AutoGenAdapter": "adapter",
    "AutoGenOptions": "adapter",
    "ScriptedChatClient": "testing",
    "sandbox_tools": "tools",
}

__all__ = ["Answer", "AutoGenAdapter", "AutoGenOptions", "ScriptedChatClient", "sandbox_tools"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agenthost_autogen' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
