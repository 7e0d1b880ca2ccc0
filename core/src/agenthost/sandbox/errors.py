"""Errors of the sandbox layer.

SandboxError                      (agenthost.errors.AgentHostError)
├── SandboxTimeout                a call ran past its timeout: the sandbox was killed and
│                                 restarted empty (its Python state and files are lost)
├── ExecutorCrashed               the executor died or broke the protocol mid-call: restarted empty
├── SandboxStartError             a backend could not start a sandbox
├── SandboxCapacityError          a profile's max_sandboxes are all in use
├── SandboxClosed                 the sandbox was closed (or reaped after its idle TTL)
└── SandboxFileError              a file operation failed (missing file, not a directory, ...)
    └── PathOutsideWorkdir        a path leaves the work directory (absolute, '..', symlink)
"""

from __future__ import annotations

from ..errors import AgentHostError


class SandboxError(AgentHostError):
    """Root of every sandbox error."""


class SandboxTimeout(SandboxError):
    def __init__(self, timeout: float, what: str = "the call"):
        self.timeout = timeout
        super().__init__(
            f"{what} did not finish within {timeout:g} s; the sandbox was killed and restarted "
            "empty (variables, imports and files from earlier calls are gone)"
        )


class ExecutorCrashed(SandboxError):
    def __init__(self, detail: str):
        self.detail = detail
        super().__init__(
            f"the sandbox's executor stopped: {detail}; it was restarted empty (variables, "
            "imports and files from earlier calls are gone)"
        )


class SandboxStartError(SandboxError):
    pass


class SandboxCapacityError(SandboxError):
    def __init__(self, profile: str | None, limit: int):
        self.profile = profile  # None: the host-wide cap
        self.limit = limit
        if profile is None:
            where = f"the host has reached its cap of {limit} live sandboxes (all profiles)"
            fix = "raise the host's sandbox cap"
        else:
            where = (
                f"sandbox profile {profile!r} has reached max_sandboxes = {limit} live sandboxes"
            )
            fix = f"raise [sandboxes.{profile}] max_sandboxes"
        super().__init__(f"{where}; retry later, end idle sessions, or {fix}")


class SandboxClosed(SandboxError):
    pass


class SandboxFileError(SandboxError):
    def __init__(self, kind: str, message: str):
        self.kind = kind  # the executor-side exception name, e.g. "FileNotFoundError"
        super().__init__(message)


class PathOutsideWorkdir(SandboxFileError):
    def __init__(self, message: str):
        super().__init__("PathOutsideWorkdir", message)


class SandboxQuotaError(SandboxError):
    """A principal holds ``[quotas] max_sandboxes`` live session sandboxes already."""

    def __init__(self, principal: str, limit: int):
        self.principal = principal
        self.limit = limit
        super().__init__(
            f"quota exceeded: max_sandboxes = {limit} live sandboxes for principal {principal!r}; "
            "end idle sessions (DELETE /sessions/{id}), retry later, or raise [quotas] "
            "max_sandboxes"
        )
