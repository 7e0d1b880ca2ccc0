"""Registers core's own components: the ``python`` adapter, the ``native`` and ``ui``
frontends, stores, the ``jwt`` authenticator."""

from __future__ import annotations

from typing import Any

from ..hookspecs import hookimpl


@hookimpl
def register_adapters(register: Any) -> None:
    register("python", "agenthost.builtin.python_adapter:PythonAdapter", fallback=True)


@hookimpl
def register_frontends(register: Any) -> None:
    register("native", "agenthost.builtin.native:NativeFrontend")
    register("ui", "agenthost.builtin.ui:UiFrontend")


@hookimpl
def register_stores(register: Any) -> None:
    register("memory", "agenthost.store.memory:MemoryStore")
    register("sqlite", "agenthost.store.sqlite:SqliteStore")


@hookimpl
def register_authenticators(register: Any) -> None:
    register("jwt", "agenthost.jwt_auth:JwtAuthenticator")
