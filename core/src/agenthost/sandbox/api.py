"""``Sandbox``: one isolated, stateful place to run code, as agents and tools see it.

    sandbox = await ctx.sandbox()                 # inside a run: the session's sandbox
    result = await sandbox.run_python("x = 21\\nx * 2")
    result.value                                  # '42'
    async for item in sandbox.stream_shell("for i in 1 2 3; do echo $i; sleep 1; done"):
        ...                                       # OutputChunk ... then the ExecResult

Calls on one sandbox run one at a time. A call past its timeout is killed from the host side
and the sandbox restarts empty (``SandboxTimeout``); a crashed executor is reported
(``ExecutorCrashed``) and restarted the same way. Output is capped per call (``truncated``).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ..events import FilePart
from ..signals import signals
from .errors import (
    ExecutorCrashed,
    PathOutsideWorkdir,
    SandboxClosed,
    SandboxError,
    SandboxFileError,
    SandboxTimeout,
)
from .options import SandboxOptions
from .protocol import Connection, ProtocolBroken, Reply
from .results import ErrorInfo, ExecResult, FileInfo, OutputChunk

Connect = Callable[[], Awaitable[Connection]]
OnOutput = Callable[[OutputChunk], None]


class _Decoder:
    """Bytes → text per stream, keeping a multi-byte character split across chunks whole."""

    def __init__(self) -> None:
        self._decoders = {
            "stdout": codecs.getincrementaldecoder("utf-8")("replace"),
            "stderr": codecs.getincrementaldecoder("utf-8")("replace"),
        }

    def __call__(self, stream: str, data: bytes, final: bool = False) -> str:
        return str(self._decoders[stream].decode(data, final))


class Sandbox:
    """A session's sandbox. Created by ``SandboxManager``; use it through ``ctx.sandbox()``."""

    def __init__(
        self,
        *,
        sandbox_id: str,
        profile: str,
        options: SandboxOptions,
        connection: Connection,
        connect: Connect,
        release: Callable[[Connection], Awaitable[None]],
        on_close: Callable[[Sandbox], None] | None = None,
    ) -> None:
        self.id = sandbox_id
        self.profile = profile
        self.options = options
        self.created = time.time()
        self.last_used = time.monotonic()
        self.busy = False
        self.restarts = 0
        self._conn: Connection | None = connection
        self._connect = connect
        self._release = release
        self._on_close = on_close
        self._lock = asyncio.Lock()
        self._closed: str | None = None

    # -- code --------------------------------------------------------------------------------

    async def run_python(
        self, code: str, *, timeout: float | None = None, on_output: OnOutput | None = None
    ) -> ExecResult:
        """Run ``code`` in this sandbox's persistent namespace; the last expression's repr is
        ``value``; figures (matplotlib) and ``_repr_png_`` values come back as ``artifacts``."""
        return await self._exec("python", {"code": code}, timeout, on_output)

    async def run_shell(
        self,
        command: str,
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
        on_output: OnOutput | None = None,
    ) -> ExecResult:
        """Run ``command`` with ``/bin/sh -c`` in the work dir (or ``cwd`` inside it)."""
        args: dict[str, Any] = {"command": command, "cwd": cwd, "env": env or {}}
        return await self._exec("shell", args, timeout, on_output)

    def stream_python(
        self, code: str, *, timeout: float | None = None
    ) -> AsyncIterator[OutputChunk | ExecResult]:
        """Like ``run_python``, yielding ``OutputChunk``s as printed, then the ``ExecResult``.
        Leaving the loop early stops the call (the sandbox restarts empty)."""
        return self._stream("python", {"code": code}, timeout)

    def stream_shell(
        self,
        command: str,
        *,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> AsyncIterator[OutputChunk | ExecResult]:
        """Like ``run_shell``, yielding ``OutputChunk``s as printed, then the ``ExecResult``."""
        return self._stream("shell", {"command": command, "cwd": cwd, "env": env or {}}, timeout)

    async def _stream(
        self, op: str, args: dict[str, Any], timeout: float | None
    ) -> AsyncIterator[OutputChunk | ExecResult]:
        queue: asyncio.Queue[OutputChunk | None] = asyncio.Queue()
        task = asyncio.create_task(self._exec(op, args, timeout, queue.put_nowait))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (chunk := await queue.get()) is not None:
                yield chunk
            yield task.result()
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    async def _exec(
        self, op: str, args: dict[str, Any], timeout: float | None, on_output: OnOutput | None
    ) -> ExecResult:
        decode = _Decoder()
        callback = None
        if on_output is not None:

            def callback(stream: str, data: bytes) -> None:
                text = decode(stream, data)
                if text:
                    on_output(OutputChunk(stream, text))  # type: ignore[arg-type]

        reply = await self._call(op, args, timeout=timeout, on_output=callback)
        if op == "shell":
            self._raise_file_error(reply)  # a cwd outside the work dir
        return self._result(reply)

    def _result(self, reply: Reply) -> ExecResult:
        out: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
        for stream, data in reply.output:
            out[stream].append(data)
        header = reply.header
        error = header.get("error")
        return ExecResult(
            stdout=b"".join(out["stdout"]).decode("utf-8", "replace"),
            stderr=b"".join(out["stderr"]).decode("utf-8", "replace"),
            value=header.get("value"),
            error=ErrorInfo(
                type=str(error.get("type", "Error")),
                message=str(error.get("message", "")),
                traceback=str(error.get("traceback", "")),
            )
            if isinstance(error, dict)
            else None,
            duration=float(header.get("duration") or 0.0),
            truncated=reply.truncated,
            artifacts=[
                FilePart(
                    name=meta.get("name"), mime_type=meta.get("mime") or "image/png", bytes=data
                )
                for meta, data in reply.artifacts
            ],
            exit_code=header.get("exit_code"),
        )

    # -- files -------------------------------------------------------------------------------

    async def write_file(
        self, path: str, data: bytes | str, *, append: bool = False, timeout: float | None = None
    ) -> int:
        """Write ``data`` (text is UTF-8 encoded) to ``path`` in the work dir; returns bytes."""
        blob = data.encode() if isinstance(data, str) else bytes(data)
        reply = await self._call("write", {"path": path, "append": append}, blob, timeout=timeout)
        self._raise_file_error(reply)
        return int(reply.header.get("value") or 0)

    async def read_file(self, path: str, *, timeout: float | None = None) -> bytes:
        """The bytes of ``path`` in the work dir (up to ``max_file_read``)."""
        args = {"path": path, "limit": self.options.max_file_read}
        reply = await self._call("read", args, timeout=timeout)
        self._raise_file_error(reply)
        return reply.blob

    async def list_files(
        self, path: str = ".", *, recursive: bool = False, timeout: float | None = None
    ) -> list[FileInfo]:
        """Entries of a directory in the work dir, sorted by path."""
        reply = await self._call("list", {"path": path, "recursive": recursive}, timeout=timeout)
        self._raise_file_error(reply)
        return [
            FileInfo(path=e["path"], type=e["type"], size=int(e["size"]), mtime=float(e["mtime"]))
            for e in reply.header.get("value") or []
        ]

    async def remove(
        self, path: str, *, recursive: bool = False, timeout: float | None = None
    ) -> None:
        """Delete a file, an empty directory, or (``recursive``) a directory tree."""
        reply = await self._call("remove", {"path": path, "recursive": recursive}, timeout=timeout)
        self._raise_file_error(reply)

    @staticmethod
    def _raise_file_error(reply: Reply) -> None:
        error = reply.header.get("error")
        if not isinstance(error, dict):
            return
        kind, message = str(error.get("type")), str(error.get("message"))
        if kind == "PathOutsideWorkdir":
            raise PathOutsideWorkdir(message)
        raise SandboxFileError(kind, f"{kind}: {message}")

    # -- the call machinery -------------------------------------------------------------------

    async def _call(
        self,
        op: str,
        args: dict[str, Any],
        blob: bytes = b"",
        *,
        timeout: float | None,
        on_output: Callable[[str, bytes], None] | None = None,
    ) -> Reply:
        if not signals.active:
            return await self._request(op, args, blob, timeout=timeout, on_output=on_output)
        start, reply, error = time.time_ns(), None, None
        try:
            reply = await self._request(op, args, blob, timeout=timeout, on_output=on_output)
            return reply
        except BaseException as exc:
            error = exc
            raise
        finally:
            signals.sandbox_call(self, op, start, time.time_ns(), reply, error)

    async def _request(
        self,
        op: str,
        args: dict[str, Any],
        blob: bytes = b"",
        *,
        timeout: float | None,
        on_output: Callable[[str, bytes], None] | None = None,
    ) -> Reply:
        limit = self.options.timeout if timeout is None else timeout
        async with self._lock:
            self._check_open()
            self.busy = True
            try:
                conn = await self._connection()
                try:
                    async with asyncio.timeout(limit):
                        return await conn.request(
                            op,
                            {**args, "max_output": self.options.max_output},
                            blob,
                            max_output=self.options.max_output,
                            on_output=on_output,
                        )
                except TimeoutError:
                    await self._discard(conn)
                    raise SandboxTimeout(limit, f"{op} call") from None
                except ProtocolBroken as exc:
                    await self._discard(conn)
                    self._check_open()  # closed under the call (host shutdown): say that
                    raise ExecutorCrashed(str(exc)) from None
                except asyncio.CancelledError:
                    # The call's state is unknown: a clean executor is the only safe one.
                    await asyncio.shield(self._discard(conn))
                    raise
            finally:
                self.busy = False
                self.last_used = time.monotonic()

    async def _connection(self) -> Connection:
        if self._conn is not None and not self._conn.alive():
            # Died between calls (CPU limit, a background thread's os._exit, ...).
            conn = self._conn
            reason = await conn.exit_reason()
            await self._discard(conn)
            raise ExecutorCrashed(f"{reason} (between calls)")
        if self._conn is None:
            self._conn = await self._connect()
            self.restarts += 1
        return self._conn

    async def _discard(self, conn: Connection) -> None:
        if self._conn is conn:
            self._conn = None
        await self._release(conn)

    async def restart(self) -> None:
        """Start over with an empty sandbox now (the next call would do it anyway)."""
        async with self._lock:
            self._check_open()
            if self._conn is not None:
                await self._discard(self._conn)
            self._conn = await self._connect()
            self.restarts += 1

    def _check_open(self) -> None:
        if self._closed is not None:
            raise SandboxClosed(f"sandbox {self.id} is closed ({self._closed})")

    @property
    def closed(self) -> bool:
        return self._closed is not None

    async def close(self, reason: str = "closed by its owner") -> None:
        """Kill the sandbox and everything in it. Idempotent."""
        if self._closed is not None:
            return
        self._closed = reason
        if signals.active:
            signals.sandbox_released(self, reason)
        if self._on_close is not None:
            self._on_close(self)
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._release(conn)

    async def close_if_idle(self, idle_ttl: float, reason: str) -> bool:
        """Close the sandbox if it has sat unused for ``idle_ttl`` seconds; True if it did.

        Checked under the call lock: a call that started after the reaper looked is never
        cut off (it holds the lock, or has just bumped ``last_used``).
        """
        async with self._lock:
            if self.busy or time.monotonic() - self.last_used <= idle_ttl or self.closed:
                return False
            await self.close(reason)
            return True

    def info(self) -> dict[str, Any]:
        """Id, profile, backend details (isolation in force), and the executor's hello."""
        conn = self._conn
        return {
            "id": self.id,
            "profile": self.profile,
            "closed": self._closed,
            "restarts": self.restarts,
            "backend": dict(conn.process.info) if conn else {},
            "executor": dict(conn.hello) if conn else {},
        }

    async def __aenter__(self) -> Sandbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


__all__ = ["ExecResult", "FileInfo", "OutputChunk", "Sandbox", "SandboxError"]
