"""Registers the `docker` sandbox backend and `agenthost sandbox build-image`."""

from __future__ import annotations

from typing import Any

from agenthost.hookspecs import hookimpl


@hookimpl
def register_sandbox_backends(register: Any) -> None:
    register("docker", "agenthost_docker.backend:DockerBackend")


@hookimpl(trylast=True)  # after core's own `sandbox` commands, so the group is shared
def register_commands(commands: Any) -> None:
    from . import cli

    commands.group("sandbox", "try and manage sandboxes").add(
        "build-image",
        "build the default Docker sandbox image from Debian packages (no registry needed)",
        cli.configure,
        cli.build_image_command,
    )
