"""The hook specs plugins implement. Each ``register_*`` hook hands the plugin a callback.

``register(name, target, **details)``: ``target`` is the component class or a lazy
``"module:Class"`` string, so a plugin's entry point stays cheap to load and only components
a config references are imported.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("agenthost")
hookimpl = pluggy.HookimplMarker("agenthost")


@hookspec
def register_adapters(register: Any) -> None:
    """Register framework adapters: ``register(name, target, detect_modules=(...))``."""


@hookspec
def register_frontends(register: Any) -> None:
    """Register protocol frontends: ``register(name, target)``."""


@hookspec
def register_sandbox_backends(register: Any) -> None:
    """Register sandbox backends: ``register(name, target)``."""


@hookspec
def register_stores(register: Any) -> None:
    """Register stores: ``register(name, target)``."""


@hookspec
def register_authenticators(register: Any) -> None:
    """Register authenticators (``agenthost.auth.Authenticator``): ``register(name, target)``;
    a config turns one on with an ``[auth.NAME]`` table of its options."""


@hookspec
def register_commands(commands: Any) -> None:
    """Add CLI commands: ``commands.add(name, help, configure, handler)``."""


@hookspec
def startup(host: Any) -> Any:
    """Called once the host is composed, before it serves; may return an awaitable."""


@hookspec
def shutdown(host: Any) -> Any:
    """Called when the host stops; may return an awaitable."""
