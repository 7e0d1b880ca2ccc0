"""Entry point of ``agenthost-langgraph``: registers the ``langgraph`` adapter (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_adapters(register: Any) -> None:
    register(
        "langgraph",
        "agenthost_langgraph.adapter:LangGraphAdapter",
        detect_modules=("langgraph",),
    )
