"""Entry point of ``agenthost-otel``: registers the ``otel`` component (lazily).

It is a frontend so a config turns it on and sets its options with ``[frontends.otel]`` and it
can serve ``/metrics`` behind the host's gate; it serves no agent protocol.
"""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_frontends(register: Any) -> None:
    register("otel", "agenthost_otel.frontend:OtelFrontend")
