"""Entry point of ``agenthost-agno``: registers the ``agno`` adapter (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_adapters(register: Any) -> None:
    register("agno", "agenthost_agno.adapter:AgnoAdapter", detect_modules=("agno",))
