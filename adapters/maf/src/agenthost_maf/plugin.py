"""Entry point of ``agenthost-maf``: registers the ``maf`` adapter (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_adapters(register: Any) -> None:
    register("maf", "agenthost_maf.adapter:MAFAdapter", detect_modules=("agent_framework",))
