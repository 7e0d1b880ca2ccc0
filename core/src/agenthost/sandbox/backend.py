"""The extension point for isolation technologies: ``SandboxBackend``.

A backend knows one thing: how to start the in-sandbox executor (``executor.py``, one
stdlib-only file) somewhere isolated and connect its stdin/stdout. Everything else — the
framed protocol, timeouts, output caps, restarts, the warm pool, sessions — is core's::

    class MyBackend(SandboxBackend):
        name = "mine"
        Options = MyOptions                   # a SandboxOptions subclass, extra="forbid"

        async def spawn(self, spec: SandboxSpec) -> ExecutorProcess:
            proc = await asyncio.create_subprocess_exec(
                "isolate", "--", "python3", "-u", "/opt/executor.py", "/work",
                stdin=PIPE, stdout=PIPE, stderr=PIPE,
            )
            return SubprocessExecutor(proc)

The executor's command line is ``PYTHON -u EXECUTOR [WORKDIR]`` (``executor_command``); it
reads request frames on stdin and writes response frames on stdout. Its source is
``executor_source()`` (the file at ``EXECUTOR_PATH``) for backends that copy it in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from .options import SandboxOptions

EXECUTOR_PATH = Path(__file__).with_name("executor.py")


def executor_source() -> bytes:
    """The executor file's bytes, for backends that copy it into the sandbox."""
    return EXECUTOR_PATH.read_bytes()


def executor_command(python: str, executor: str, workdir: str | None = None) -> list[str]:
    """The argv that starts the executor: ``python -u executor [workdir]``."""
    argv = [python, "-u", executor]
    if workdir is not None:
        argv.append(workdir)
    return argv


# Importing the executor (rather than running it as a script) lets Python load its cached
# bytecode: compiling the file costs ~5 ms of every cold start. DIR holds executor.py and,
# ideally, its __pycache__ (``compile_executor``).
BOOTSTRAP = "__import__('sys').path.insert(0, {dir!r}); __import__('executor').main()"


def bootstrap_command(python: str, executor_dir: str, workdir: str) -> list[str]:
    """The argv that imports the executor from ``executor_dir`` and serves ``workdir``."""
    return [python, "-u", "-c", BOOTSTRAP.format(dir=executor_dir), workdir]


def compile_executor(directory: str, python: str | None = None) -> None:
    """Copy the executor into ``directory`` with its bytecode compiled by ``python`` (this
    interpreter when None), everything world-readable."""
    import py_compile
    import subprocess
    import sys

    target = Path(directory) / "executor.py"
    target.write_bytes(executor_source())
    if python is None or python == sys.executable:
        py_compile.compile(str(target), doraise=True)
    else:
        subprocess.run(
            [python, "-m", "py_compile", str(target)], check=True, capture_output=True, timeout=60
        )
    for root, _dirs, files in os.walk(directory):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)


@dataclass
class SandboxSpec:
    """What a backend needs to start one sandbox."""

    sandbox_id: str  # unique per spawn; use it in names and labels
    profile: str  # the [sandboxes.NAME] this sandbox belongs to
    options: SandboxOptions  # the backend's validated Options instance
    labels: dict[str, str] = field(default_factory=dict)  # for reaping leaked sandboxes


class ByteSink(Protocol):
    """The executor's stdin: the subset of ``asyncio.StreamWriter`` core uses."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def close(self) -> None: ...


class ExecutorProcess(ABC):
    """A running executor: its stdin (``ByteSink``) and stdout (``asyncio.StreamReader``).

    ``stderr`` is optional; when given, core keeps its tail to explain a crash. ``info`` is
    shown in ``Sandbox.info()`` (isolation in force, container id, ...).
    """

    stdin: ByteSink
    stdout: asyncio.StreamReader
    stderr: asyncio.StreamReader | None = None
    info: dict[str, Any]

    @abstractmethod
    async def kill(self) -> None:
        """Stop the executor and everything it started, now. Idempotent; never raises."""

    @abstractmethod
    async def wait(self) -> int | None:
        """Wait until it has exited; its exit status (None when the backend cannot know)."""


class SubprocessExecutor(ExecutorProcess):
    """An ``asyncio.subprocess.Process`` started with stdin/stdout (and stderr) pipes.

    ``kill()`` kills its process group (start it with ``start_new_session=True``) so
    whatever the executor started dies with it.
    """

    def __init__(self, proc: asyncio.subprocess.Process, info: dict[str, Any] | None = None):
        assert proc.stdin is not None and proc.stdout is not None
        self.proc = proc
        self.stdin = proc.stdin
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.info = dict(info or {})

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def kill(self) -> None:
        if self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                # Not a group leader (or already gone): the process alone. Not both: Popen's
                # kill() polls first and would reap the child under asyncio's watcher.
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
        with contextlib.suppress(Exception):
            self.stdin.close()
        await self.wait()

    async def wait(self) -> int | None:
        return await self.proc.wait()


class SandboxBackend(ABC):
    """One isolation technology. Built once per profile with its validated ``Options``."""

    name: ClassVar[str]
    Options: ClassVar[type[SandboxOptions]] = SandboxOptions

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options

    @classmethod
    def isolation(cls) -> str:
        """One line on the isolation this backend gives here (``agenthost plugins`` prints it)."""
        return ""

    async def start(self) -> None:
        """Prepare once before the first spawn (pull an image, reap leaked sandboxes...)."""

    async def probe(self) -> None:
        """Raise when, though started, it cannot serve now (its engine stopped answering, say).
        ``/readyz`` calls it for every profile an agent uses; it must be cheap. Default: no
        check beyond ``start()`` having succeeded."""

    @abstractmethod
    async def spawn(self, spec: SandboxSpec) -> ExecutorProcess:
        """Start the executor for ``spec`` and hand back its process."""

    async def close(self) -> None:
        """Release what ``start`` prepared; every spawned process is already killed."""

    def describe(self) -> dict[str, Any]:
        """What ``SandboxManager.describe()`` shows for profiles of this backend."""
        return {"backend": self.name, "isolation": self.isolation()}
