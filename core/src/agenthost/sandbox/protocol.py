"""The host side of the executor's framed protocol: one ``Connection`` per executor process.

A frame is an 8-byte header (two big-endian uint32: JSON length, blob length), a UTF-8 JSON
object and a blob of raw bytes. See ``executor.py`` for the ops. The host never trusts the
executor: a frame that is malformed, oversized or out of order means the executor is broken.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .backend import ExecutorProcess

log = logging.getLogger("agenthost.sandbox")

HEADER = struct.Struct(">II")
KILL_TIMEOUT = 10.0  # seconds: a backend's kill() that takes longer is logged, not awaited
MAX_JSON = 64 * 1024 * 1024
STDERR_TAIL = 4096


class ProtocolBroken(Exception):
    """The executor died, closed its pipe or sent something it must not."""


@dataclass
class Reply:
    """What one request produced: the ``done`` header, its blob, and output/artifact frames."""

    header: dict[str, Any]
    blob: bytes = b""
    output: list[tuple[str, bytes]] = field(default_factory=list)
    artifacts: list[tuple[dict[str, Any], bytes]] = field(default_factory=list)
    truncated: bool = False


def encode(header: dict[str, Any], blob: bytes = b"") -> bytes:
    data = json.dumps(header, separators=(",", ":")).encode()
    return HEADER.pack(len(data), len(blob)) + data + blob


class Connection:
    """One executor process and the protocol spoken with it. Requests are serialised by the
    caller (``Sandbox`` holds a lock); this class only frames, reads and checks."""

    def __init__(self, process: ExecutorProcess, *, max_frame: int) -> None:
        self.process = process
        self.max_frame = max_frame
        self.hello: dict[str, Any] = {}
        self._next_id = 0
        self._stderr = bytearray()
        self._stderr_task: asyncio.Task[None] | None = None
        if process.stderr is not None:
            self._stderr_task = asyncio.create_task(self._keep_stderr(process.stderr))
        self.closed = False

    async def _keep_stderr(self, stream: asyncio.StreamReader) -> None:
        # Keep only the tail: enough to explain a crash, never unbounded.
        with contextlib.suppress(Exception):
            while chunk := await stream.read(65536):
                self._stderr += chunk
                del self._stderr[:-STDERR_TAIL]

    @property
    def stderr_tail(self) -> str:
        return self._stderr.decode("utf-8", "replace").strip()

    async def handshake(self) -> dict[str, Any]:
        header, _ = await self._read()
        if header.get("op") != "hello":
            raise ProtocolBroken(f"expected a hello frame, got {header.get('op')!r}")
        self.hello = header
        return header

    async def _read(self) -> tuple[dict[str, Any], bytes]:
        stdout = self.process.stdout
        try:
            head = await stdout.readexactly(HEADER.size)
            jlen, blen = HEADER.unpack(head)
            if jlen > MAX_JSON or blen > self.max_frame:
                raise ProtocolBroken(f"oversized frame ({jlen} + {blen} bytes)")
            body = await stdout.readexactly(jlen + blen)
        except asyncio.IncompleteReadError:
            raise ProtocolBroken(await self.exit_reason()) from None
        except (ConnectionError, OSError) as exc:
            raise ProtocolBroken(f"pipe error: {exc}") from None
        try:
            header = json.loads(body[:jlen])
        except ValueError:
            raise ProtocolBroken("a frame that is not JSON") from None
        if not isinstance(header, dict):
            raise ProtocolBroken("a frame that is not a JSON object")
        return header, body[jlen:]

    async def request(
        self,
        op: str,
        args: dict[str, Any],
        blob: bytes = b"",
        *,
        max_output: int,
        on_output: Callable[[str, bytes], None] | None = None,
    ) -> Reply:
        """Send one request and read frames until its ``done``. Output past ``max_output``
        is dropped (``truncated``); an executor that keeps flooding is treated as broken."""
        self._next_id += 1
        call_id = self._next_id
        try:
            self.process.stdin.write(encode({"id": call_id, "op": op, **args}, blob))
            await self.process.stdin.drain()
        except (ConnectionError, OSError, RuntimeError) as exc:
            raise ProtocolBroken(await self.exit_reason(f"cannot write to it ({exc})")) from None
        reply = Reply(header={})
        left = max_output
        received = 0
        flood = 4 * max_output + (1 << 20)
        while True:
            header, data = await self._read()
            if header.get("id") != call_id:
                raise ProtocolBroken(f"a frame for call {header.get('id')!r} during {call_id}")
            kind = header.get("op")
            if kind == "out":
                received += len(data)
                if received > flood:
                    raise ProtocolBroken("it ignored the output cap")
                stream = "stderr" if header.get("stream") == "stderr" else "stdout"
                if len(data) > left:
                    data = data[:left]
                    reply.truncated = True
                left -= len(data)
                if data:
                    reply.output.append((stream, data))
                    if on_output is not None:
                        on_output(stream, data)
            elif kind == "artifact":
                reply.artifacts.append((header, data))
            elif kind == "done":
                reply.header = header
                reply.blob = data
                reply.truncated = reply.truncated or bool(header.get("truncated"))
                return reply
            else:
                raise ProtocolBroken(f"an unknown frame {kind!r}")

    async def exit_reason(self, prefix: str = "") -> str:
        """Why the executor is gone: its exit status and the tail of its stderr."""
        status: int | None = None
        with contextlib.suppress(Exception):
            status = await asyncio.wait_for(self.process.wait(), 2)
        if self._stderr_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(self._stderr_task), 0.5)
        parts = [prefix] if prefix else []
        parts.append(describe_status(status))
        tail = self.stderr_tail
        if tail:
            parts.append(f"its last words: {tail[-600:]}")
        return "; ".join(parts)

    async def close(self) -> None:
        """Kill the executor (and all it started) and wait for it."""
        if self.closed:
            return
        self.closed = True
        try:
            await asyncio.wait_for(self.process.kill(), KILL_TIMEOUT)
        except TimeoutError:
            log.error(
                "executor %s did not die within %g s of a kill", self.process.info, KILL_TIMEOUT
            )
        except Exception as exc:
            log.error("killing executor %s failed: %s", self.process.info, exc)
        if self._stderr_task is not None:
            self._stderr_task.cancel()
            with contextlib.suppress(BaseException):
                await self._stderr_task

    def alive(self) -> bool:
        return not self.closed and not self.process.stdout.at_eof()


_SIGNAL_HINTS = {
    signal.SIGKILL: "killed (SIGKILL; out of memory, or killed from outside)",
    signal.SIGXCPU: "its CPU-time limit was reached (SIGXCPU)",
    signal.SIGXFSZ: "its file-size limit was reached (SIGXFSZ)",
    signal.SIGSEGV: "it crashed (SIGSEGV)",
}


def describe_status(status: int | None) -> str:
    if status is None:
        return "it stopped responding"
    if status < 0:
        sig = signal.Signals(-status) if -status in signal.Signals._value2member_map_ else None
        if sig is not None and sig in _SIGNAL_HINTS:
            return _SIGNAL_HINTS[sig]
        return f"it was killed by signal {sig.name if sig else -status}"
    if status > 128 and status - 128 in signal.Signals._value2member_map_:
        return describe_status(128 - status)
    return f"it exited with status {status}"
