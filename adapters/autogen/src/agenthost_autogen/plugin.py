"""Entry point of ``agenthost-autogen``: registers the ``autogen`` adapter (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_adapters(register: Any) -> None:
    register(
        "autogen",
        "agenthost_autogen.adapter:AutoGenAdapter",
        detect_modules=("autogen_agentchat",),
    )
