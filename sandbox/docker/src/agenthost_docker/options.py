"""``DockerOptions``: the keys of a ``[sandboxes.NAME]`` table with ``backend = "docker"``.

Every default is the hardened one. Each hardening measure can be relaxed here, and every
relaxation is named in the log and in the backend's ``describe()`` (``relaxed``), never silent.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from agenthost.sandbox.options import MiB, SandboxOptions, parse_size

from .image import DEFAULT_IMAGE, SANDBOX_UID

ROOT_USERS = {"", "0", "root", "0:0", "root:root"}


class DockerOptions(SandboxOptions):
    """Options of the ``docker`` sandbox backend (plus the shared ``SandboxOptions``)."""

    image: str = Field(default=DEFAULT_IMAGE, description="image with python3 (>= 3.11)")
    python: str = Field(default="python3", description="the interpreter inside the image")
    user: str = Field(
        default=f"{SANDBOX_UID}:{SANDBOX_UID}",
        description='uid:gid the executor runs as ("" = the image\'s user; root is a relaxation)',
    )
    workdir: str = Field(default="/work", description="the sandbox's work dir (a tmpfs)")
    workdir_size: int = Field(default=256 * MiB, description="size of the work dir tmpfs")
    tmp_size: int = Field(default=64 * MiB, description="size of the /tmp tmpfs (noexec)")
    memory_swap: int | None = Field(
        default=None, description="memory + swap; unset = equal to memory (no swap)"
    )
    read_only: bool = Field(default=True, description="read-only root filesystem")
    drop_capabilities: bool = Field(default=True, description="drop every Linux capability")
    cap_add: list[str] = Field(
        default_factory=list, description="capabilities added back (a relaxation)"
    )
    no_new_privileges: bool = Field(default=True, description="forbid setuid/file-cap gains")
    init: bool = Field(default=True, description="run docker's init as PID 1 (reaps zombies)")
    network_mode: str = Field(
        default="bridge", description="docker network used only when network = true"
    )
    runtime: str | None = Field(default=None, description='OCI runtime, e.g. "runsc" (gVisor)')
    docker_host: str | None = Field(
        default=None, description="engine URL; unset = DOCKER_HOST or the local socket"
    )
    start_timeout: float = Field(
        default=60.0, gt=0, description="seconds to create and start one container"
    )

    @field_validator("workdir_size", "tmp_size", "memory_swap", mode="before")
    @classmethod
    def _docker_sizes(cls, value: Any) -> Any:
        return parse_size(value)

    @field_validator("workdir")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or value.rstrip("/") in ("", "/tmp"):
            raise ValueError("workdir must be an absolute path other than / and /tmp")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _swap_covers_memory(self) -> DockerOptions:
        if self.memory_swap is not None and (self.memory is None or self.memory_swap < self.memory):
            raise ValueError("memory_swap is memory + swap: it needs memory and must be >= it")
        return self

    def relaxations(self) -> list[str]:
        """Each hardening measure these options turn off, in words (empty: fully hardened)."""
        out = []
        if self.network:
            out.append(f"network on ({self.network_mode})")
        if not self.read_only:
            out.append("root filesystem writable")
        if not self.drop_capabilities:
            out.append("default capabilities kept")
        if self.cap_add:
            out.append(f"capabilities added: {', '.join(self.cap_add)}")
        if not self.no_new_privileges:
            out.append("new privileges allowed")
        if not self.init:
            out.append("no init process")
        if self.user.strip() in ROOT_USERS:
            out.append("runs as root" if self.user.strip() else "runs as the image's user")
        for key in ("memory", "cpus", "pids", "file_size", "open_files"):
            if getattr(self, key) is None:
                out.append(f"no {key.replace('_', ' ')} limit")
        swap = self.memory_swap
        if self.memory is not None and swap is not None and swap > self.memory:
            out.append(f"swap allowed ({swap - self.memory} bytes)")
        return out
