"""Entry point of ``agenthost-example-adapter``: registers the ``example`` adapter (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_adapters(register: Any) -> None:
    register(
        "example",
        "agenthost_example_adapter.adapter:ExampleAdapter",
        detect_modules=("agenthost_example_adapter",),
    )
