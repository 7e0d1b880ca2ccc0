"""Entry point of ``agenthost-responses``: registers the ``responses`` frontend (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_frontends(register: Any) -> None:
    register("responses", "agenthost_responses.frontend:ResponsesFrontend")
