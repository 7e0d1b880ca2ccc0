"""Registers the built-in ``local`` sandbox backend and the ``agenthost sandbox`` command."""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl


@hookimpl
def register_sandbox_backends(register: Any) -> None:
    register("local", "agenthost.sandbox.local:LocalBackend")


@hookimpl
def register_commands(commands: Any) -> None:
    from .cli import add_commands

    add_commands(commands)
