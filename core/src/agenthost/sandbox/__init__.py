"""Sandboxes: where agents' tool calls run.

``Sandbox`` (api) is what agents and tools use; ``SandboxManager`` (manager) pools and hands
them out per session; ``SandboxBackend`` (backend) is what an isolation technology implements;
``executor.py`` is the one file that runs inside every sandbox.
"""

from .api import Sandbox
from .backend import ExecutorProcess, SandboxBackend, SandboxSpec, SubprocessExecutor
from .errors import (
    ExecutorCrashed,
    PathOutsideWorkdir,
    SandboxCapacityError,
    SandboxClosed,
    SandboxError,
    SandboxFileError,
    SandboxQuotaError,
    SandboxStartError,
    SandboxTimeout,
)
from .options import SandboxOptions
from .results import ErrorInfo, ExecResult, FileInfo, OutputChunk

__all__ = [
    "ErrorInfo",
    "ExecResult",
    "ExecutorCrashed",
    "ExecutorProcess",
    "FileInfo",
    "OutputChunk",
    "PathOutsideWorkdir",
    "Sandbox",
    "SandboxBackend",
    "SandboxCapacityError",
    "SandboxClosed",
    "SandboxError",
    "SandboxFileError",
    "SandboxOptions",
    "SandboxQuotaError",
    "SandboxSpec",
    "SandboxStartError",
    "SandboxTimeout",
    "SubprocessExecutor",
]
