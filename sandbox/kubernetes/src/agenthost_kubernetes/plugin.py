"""Registers the ``kubernetes`` sandbox backend and ``agenthost deploy kubernetes | image``."""

from __future__ import annotations

from typing import Any

from agenthost.hookspecs import hookimpl


@hookimpl
def register_sandbox_backends(register: Any) -> None:
    register("kubernetes", "agenthost_kubernetes.backend:KubernetesBackend")


@hookimpl
def register_commands(commands: Any) -> None:
    from .deploy import cli

    group = commands.group("deploy", "deploy agenthost itself")
    group.add(
        "kubernetes",
        "write Kubernetes manifests for a config (and kubectl apply them with --apply)",
        cli.configure_kubernetes,
        cli.kubernetes_command,
    )
    group.add(
        "image",
        "write a Dockerfile with agenthost and the plugins a config uses, pinned as installed",
        cli.configure_image,
        cli.image_command,
    )
