"""agenthost-maf: serve Microsoft Agent Framework agents and workflows with agenthost.

``MAFAdapter`` is registered as the ``maf`` adapter; ``sandbox_tools()`` gives the sandbox's
tools as MAF tools; ``ScriptedChatClient`` is an offline chat client for tests and demos.
Names load on first use, so loading the plugin does not import agent_framework.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapter import MAFAdapter, MAFOptions
    from .testing import ScriptedChatClient
    from .tools import sandbox_tools

_LAZY = {
    "MAFAdapter": "adapter",
    "MAFOptions": "adapter",
    "ScriptedChatClient": "testing",
    "sandbox_tools": "tools",
}

__all__ = ["MAFAdapter", "MAFOptions", "ScriptedChatClient", "sandbox_tools"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agenthost_maf' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
