"""agenthost-a2a: serve agenthost's agents over the A2A protocol (1.0 and 0.3).

Nothing is imported here, so loading the plugin's entry point stays cheap; the frontend
(and a2a-sdk) load when a host serves it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["A2AFrontend", "A2AOptions"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import frontend

        return getattr(frontend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
