"""``SandboxOptions``: the keys of a ``[sandboxes.NAME]`` table every backend understands.

A backend subclasses it to add its own keys (``image`` for Docker, say); the subclass keeps
``extra="forbid"`` so a misspelt key is a config error naming the key.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MiB = 1024 * 1024
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(value: Any) -> int | None:
    """``"512m"``, ``"1g"``, ``"64KiB"`` or an int of bytes → bytes (None stays None)."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError("expected a size such as 512m, 1g or a number of bytes")
        return None
    if isinstance(value, int | float):
        if value <= 0:
            raise ValueError("a size must be positive")
        return int(value)
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size such as 512m, 1g or a number of bytes")
    number = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if number <= 0:
        raise ValueError("a size must be positive")
    return int(number)


class SandboxOptions(BaseModel):
    """Options shared by every sandbox backend (sizes accept ``"512m"``-style strings)."""

    model_config = ConfigDict(extra="forbid")

    pool: int = Field(default=1, ge=0, description="warm sandboxes kept ready per profile")
    optional: bool = Field(
        default=False,
        description="when it cannot start, /readyz answers 200 'degraded' instead of 503",
    )
    idle_ttl: float = Field(
        default=900.0, gt=0, description="seconds a session's sandbox may sit unused"
    )
    max_sandboxes: int = Field(
        default=32, ge=1, description="live sandboxes of this profile (warm ones included)"
    )
    timeout: float = Field(default=60.0, gt=0, description="default seconds per call")
    max_output: int = Field(
        default=MiB, ge=1024, description="bytes of stdout+stderr kept per call"
    )
    max_file_read: int = Field(
        default=64 * MiB, ge=1024, description="largest file read_file returns"
    )
    network: bool = Field(default=False, description="allow network access")
    memory: int | None = Field(default=512 * MiB, description="address space / memory cap")
    cpus: float | None = Field(default=1.0, gt=0, description="CPU cores (where enforceable)")
    cpu_time: int | None = Field(
        default=None, gt=0, description="CPU seconds per executor before it is restarted"
    )
    pids: int | None = Field(default=128, ge=8, description="processes/threads in the sandbox")
    file_size: int | None = Field(default=64 * MiB, description="largest file a sandbox writes")
    open_files: int | None = Field(default=256, ge=16, description="open file descriptors")
    env: dict[str, str] = Field(
        default_factory=dict, description="environment variables set in the sandbox"
    )

    @field_validator("memory", "file_size", "max_output", "max_file_read", mode="before")
    @classmethod
    def _sizes(cls, value: Any) -> Any:
        return parse_size(value)
