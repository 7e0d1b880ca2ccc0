"""Registers the built-in sandbox backends."""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl


@hookimpl
def register_sandbox_backends(register: Any) -> None:
    register("local", "agenthost.sandbox.manager:PlaceholderBackend")
