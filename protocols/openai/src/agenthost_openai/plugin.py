"""Entry point of ``agenthost-openai``: registers the ``chat`` frontend (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_frontends(register: Any) -> None:
    register("chat", "agenthost_openai.frontend:ChatFrontend")
