"""Registers the ``kubernetes`` sandbox backend and ``agenthost deploy kubernetes | image``."""

from __future__ import annotations

from typing import Any

from agenthost.hookspecs import hookimpl


@hookimpl
def register_sandbox_backends(register: Any) -> None:
    register("kubernetes", "agenthost_kubernetes.backend:KubernetesBackend")
