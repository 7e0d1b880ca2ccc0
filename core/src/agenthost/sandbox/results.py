"""What sandbox calls return: ``ExecResult`` (with ``ErrorInfo``), ``OutputChunk``, ``FileInfo``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..events import FilePart

Stream = Literal["stdout", "stderr"]


@dataclass
class ErrorInfo:
    """An exception the code raised in the sandbox: its type name, message and traceback."""

    type: str
    message: str
    traceback: str = ""


@dataclass
class OutputChunk:
    """A piece of output, as printed (streaming calls yield these before the result)."""

    stream: Stream
    text: str


@dataclass
class ExecResult:
    """The outcome of ``run_python`` / ``run_shell``.

    ``value`` is the repr of a cell's last expression (None when it has none or it is None);
    ``exit_code`` is set for shell commands; ``truncated`` says output passed the cap.
    """

    stdout: str = ""
    stderr: str = ""
    value: str | None = None
    error: ErrorInfo | None = None
    duration: float = 0.0
    truncated: bool = False
    artifacts: list[FilePart] = field(default_factory=list)
    exit_code: int | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.exit_code

    def text(self) -> str:
        """Everything a reader (or a model) needs, as one string."""
        out = self.stdout
        if self.stderr:
            out += ("" if not out or out.endswith("\n") else "\n") + self.stderr
        if self.error is not None:
            tail = self.error.traceback or f"{self.error.type}: {self.error.message}\n"
            out += ("" if not out or out.endswith("\n") else "\n") + tail
        elif self.value is not None:
            out += ("" if not out or out.endswith("\n") else "\n") + self.value
        if self.truncated:
            out += "\n[output truncated]"
        if self.exit_code:
            out += ("" if not out or out.endswith("\n") else "\n") + f"[exit code {self.exit_code}]"
        if self.artifacts:
            names = ", ".join(a.name or "image" for a in self.artifacts)
            out += ("" if not out or out.endswith("\n") else "\n") + f"[attached: {names}]"
        return out


@dataclass
class FileInfo:
    """One entry of ``list_files``: path relative to the work dir, ``file``/``dir``/``symlink``."""

    path: str
    type: Literal["file", "dir", "symlink"]
    size: int
    mtime: float
