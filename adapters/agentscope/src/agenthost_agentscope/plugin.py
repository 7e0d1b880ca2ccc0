"""Entry point of ``agenthost-agentscope``: registers the ``agentscope`` adapter (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_adapters(register: Any) -> None:
    # Detection asks this adapter only once the user's module has imported agentscope.
    register(
        "agentscope",
        "agenthost_agentscope.adapter:AgentScopeAdapter",
        detect_modules=("agentscope",),
    )
