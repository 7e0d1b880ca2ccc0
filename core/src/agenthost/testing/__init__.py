"""Test helpers and conformance suites that plugins subclass.

Names load on first use: the pytest plugin imports this package in every pytest run, and a
suite should cost nothing until a test module asks for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .adapter_suite import AdapterSuite
    from .script import Script, ScriptedCall, Turn

_LAZY = {
    "AdapterSuite": "adapter_suite",
    "Script": "script",
    "ScriptedCall": "script",
    "Turn": "script",
}

__all__ = ["AdapterSuite", "Script", "ScriptedCall", "Turn"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agenthost.testing' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
