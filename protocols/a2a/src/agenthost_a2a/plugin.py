"""Registers the ``a2a`` frontend (imported only when a config serves it)."""

from __future__ import annotations

from typing import Any

from agenthost.hookspecs import hookimpl


@hookimpl
def register_frontends(register: Any) -> None:
    register("a2a", "agenthost_a2a.frontend:A2AFrontend")
