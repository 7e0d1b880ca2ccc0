"""The exec websocket's channels as asyncio streams.

The API server multiplexes an exec session over one websocket (``v4.channel.k8s.io`` /
``v5.channel.k8s.io``): every message starts with a channel byte — 0 stdin, 1 stdout,
2 stderr, 3 the exit status (a JSON ``Status``), and in v5 255 "close channel N". The client
library's websocket is blocking, so one reader thread per session feeds stdout and stderr into
``StreamReader``s on the event loop; it stops reading when core falls behind (the reader
pauses its "transport", ``_Gate``), so a flood of output never piles up in the host's memory.
Writes to stdin are sent from a worker thread, in frames of at most ``FRAME`` bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from typing import Any

from websocket import ABNF

STDIN, STDOUT, STDERR, STATUS, CLOSE = 0, 1, 2, 3, 255
V5 = "v5.channel.k8s.io"
FRAME = 256 * 1024
IN_FLIGHT = 1 << 20  # bytes handed to the loop but not yet in a reader: past this, wait
STDERR_KEEP = 64 * 1024  # stderr only explains crashes: past this much, drop it
STREAM_LIMIT = 1 << 20


class _Gate:
    """Back-pressure between the reader thread and the loop. ``StreamReader`` calls
    ``pause_reading``/``resume_reading`` on it as on a transport."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._paused = False
        self._in_flight = 0
        self.closed = False

    def pause_reading(self) -> None:
        with self._cond:
            self._paused = True

    def resume_reading(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def sent(self, size: int) -> None:
        with self._cond:
            self._in_flight += size

    def fed(self, size: int) -> None:
        with self._cond:
            self._in_flight -= size
            self._cond.notify_all()

    def wait_for_room(self) -> None:
        with self._cond:
            while not self.closed and (self._paused or self._in_flight > IN_FLIGHT):
                self._cond.wait(1.0)  # re-checks `closed`: a close always ends the wait

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()


def exit_status(status: dict[str, Any]) -> int | None:
    """The exit code in an exec ``Status`` (0 on Success; None when it names none)."""
    if status.get("status") == "Success":
        return 0
    for cause in (status.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
            return int(cause["message"])
    return None


class ExecChannel:
    """One exec session: ``stdout``/``stderr`` readers, ``write``/``drain``/``close`` for
    stdin (core's ``ByteSink``), ``ended`` (a future: the exit status, None if unknown)."""

    def __init__(self, ws_client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._ws = ws_client.sock  # websocket.WebSocket, connected
        self.subprotocol = ws_client.subprotocol
        self._loop = loop
        self.stdout = asyncio.StreamReader(limit=STREAM_LIMIT)
        self.stderr = asyncio.StreamReader()
        self._gate = _Gate()
        self.stdout.set_transport(self._gate)  # type: ignore[arg-type]
        self.ended: asyncio.Future[int | None] = loop.create_future()
        self._pending = bytearray()
        self._send_lock = asyncio.Lock()
        self._stderr_kept = 0
        self._status: dict[str, Any] | None = None
        self._thread = threading.Thread(target=self._read, name="agenthost-k8s-exec", daemon=True)
        self._thread.start()

    # -- the reader thread ---------------------------------------------------------------------

    def _read(self) -> None:
        try:
            while not self._gate.closed:
                self._gate.wait_for_room()
                opcode, frame = self._ws.recv_data_frame(True)
                if opcode == ABNF.OPCODE_CLOSE:
                    break
                if opcode in (ABNF.OPCODE_BINARY, ABNF.OPCODE_TEXT) and frame.data:
                    self._dispatch(frame.data[0], bytes(frame.data[1:]))
        except Exception:  # closed under us (kill) or the connection broke: the stream ends
            pass
        finally:
            self._gate.close()
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
                self._loop.call_soon_threadsafe(self._finish)

    def _dispatch(self, channel: int, data: bytes) -> None:
        if channel == STDOUT and data:
            self._gate.sent(len(data))
            self._loop.call_soon_threadsafe(self._feed_stdout, data)
        elif channel == STDERR and data:
            room = STDERR_KEEP - self._stderr_kept
            data = data[: max(room, 0)]
            self._stderr_kept += len(data)
            if data:
                self._loop.call_soon_threadsafe(self.stderr.feed_data, data)
        elif channel == STATUS:
            with contextlib.suppress(ValueError):
                self._status = json.loads(data.decode("utf-8", "replace"))

    def _feed_stdout(self, data: bytes) -> None:
        self._gate.fed(len(data))
        self.stdout.feed_data(data)

    def _finish(self) -> None:
        status = self._status or {}
        code = exit_status(status) if status else None
        if code is None and status.get("message"):
            # The runtime's own failure (no such executable, ...): what explains a crash.
            self.stderr.feed_data(f"\n[kubernetes: {status['message']}]\n".encode())
        self.stdout.feed_eof()
        self.stderr.feed_eof()
        if not self.ended.done():
            self.ended.set_result(code)

    # -- stdin (core's ByteSink) -----------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self._gate.closed:
            raise ConnectionResetError("the exec stream is closed")
        self._pending += data

    async def drain(self) -> None:
        async with self._send_lock:
            data, self._pending = bytes(self._pending), bytearray()
            if data:
                await asyncio.to_thread(self._send, data)

    def _send(self, data: bytes) -> None:
        try:
            for start in range(0, len(data), FRAME):
                self._ws.send(bytes([STDIN]) + data[start : start + FRAME], ABNF.OPCODE_BINARY)
        except Exception as exc:
            raise ConnectionResetError(f"the exec stream is closed ({exc})") from None

    def close(self) -> None:
        """Half-close stdin (v5 only: v4 has no way to say it; the session then ends with
        the websocket)."""
        if self.subprotocol == V5 and not self._gate.closed:
            with contextlib.suppress(Exception):
                self._ws.send(bytes([CLOSE, STDIN]), ABNF.OPCODE_BINARY)

    def shutdown(self) -> None:
        """Close the websocket now; the reader thread ends and ``ended`` resolves."""
        self._gate.close()
        with contextlib.suppress(Exception):
            self._ws.shutdown()
