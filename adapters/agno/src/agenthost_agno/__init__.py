"""agenthost-agno: serve Agno agents, teams and workflows with agenthost.

``AgnoAdapter`` is registered as the ``agno`` adapter; ``sandbox_tools()`` gives the sandbox's
tools as Agno tools; ``ScriptedModel`` is an offline Agno model for tests and demos. Names load
on first use, so loading the plugin does not import Agno.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapter import AgnoAdapter, AgnoOptions
    from .testing import Reply, ScriptedModel
    from .tools import sandbox_tools

_LAZY = {
    "AgnoAdapter": "adapter",
    "AgnoOptions": "adapter",
    "Reply": "testing",
    "ScriptedModel": "testing",
    "sandbox_tools": "tools",
}

__all__ = ["AgnoAdapter", "AgnoOptions", "Reply", "ScriptedModel", "sandbox_tools"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agenthost_agno' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
