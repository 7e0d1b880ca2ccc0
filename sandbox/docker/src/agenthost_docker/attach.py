"""The executor's stdio over a container's attach socket, as asyncio streams.

With ``tty=False`` the engine multiplexes the container's stdout and stderr on one socket:
each chunk is an 8-byte header (stream type, three zero bytes, big-endian length) and then its
payload. ``AttachProtocol`` splits that stream as it arrives into two ``StreamReader``s, and
pauses the socket when core falls behind reading stdout, so a flood of output never piles up
in the host's memory. Writes go straight to the socket: they are the container's stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
from typing import Any

from agenthost.sandbox.errors import SandboxStartError

MUX_HEADER = struct.Struct(">BxxxI")
STDOUT, STDERR = 1, 2
STDERR_KEEP = 64 * 1024  # stderr only explains crashes: past this much, drop it


class AttachProtocol(asyncio.Protocol):
    """Demultiplexes the attach stream into ``stdout`` and ``stderr`` readers."""

    def __init__(self, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.transport: asyncio.Transport | None = None
        self.stderr_dropped = 0
        self._stderr_kept = 0
        self._header = bytearray()
        self._stream = 0
        self._left = 0  # payload bytes of the current chunk still to come
        self._write_paused = False
        self._drained: asyncio.Future[None] | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        # The reader pauses the socket when its buffer passes twice its limit, and resumes it
        # once core has read it down: flow control for free.
        self.stdout.set_transport(transport)

    def data_received(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._left == 0:
                need = MUX_HEADER.size - len(self._header)
                self._header += view[:need]
                view = view[need:]
                if len(self._header) < MUX_HEADER.size:
                    return
                self._stream, self._left = MUX_HEADER.unpack(self._header)
                self._header.clear()
                continue
            piece = bytes(view[: self._left])
            view = view[len(piece) :]
            self._left -= len(piece)
            self._deliver(piece)

    def _deliver(self, piece: bytes) -> None:
        if self._stream == STDERR:
            room = STDERR_KEEP - self._stderr_kept
            if room < len(piece):
                self.stderr_dropped += len(piece) - max(room, 0)
                piece = piece[: max(room, 0)]
            self._stderr_kept += len(piece)
            if piece:
                self.stderr.feed_data(piece)
        else:  # stdout, and stdin echoes (type 0) which a non-tty attach never sends
            self.stdout.feed_data(piece)

    def eof_received(self) -> bool:
        return False  # close the transport: the container's output has ended

    def connection_lost(self, exc: Exception | None) -> None:
        self.stdout.feed_eof()
        if not self.lost.done():
            self.lost.set_result(None)
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    async def drain(self) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("the container's attach stream is closed")
        if self._write_paused:
            self._drained = asyncio.get_running_loop().create_future()
            await self._drained
            if self.lost.done():
                raise ConnectionResetError("the container's attach stream is closed")


class AttachStdin:
    """The container's stdin (core's ``ByteSink``): the write half of the attach socket."""

    def __init__(self, protocol: AttachProtocol) -> None:
        self._protocol = protocol

    def write(self, data: bytes) -> None:
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the container's attach stream is closed")
        transport.write(data)

    async def drain(self) -> None:
        await self._protocol.drain()

    def close(self) -> None:
        # Half-close: the engine passes EOF to the executor's stdin (the container is created
        # with StdinOnce), and what it still prints can be read.
        transport = self._protocol.transport
        if transport is not None and not transport.is_closing():
            with contextlib.suppress(OSError, RuntimeError):
                if transport.can_write_eof():
                    transport.write_eof()
                else:
                    transport.close()


async def open_attach(sock: Any) -> tuple[AttachProtocol, AttachStdin]:
    """Wrap a connected, hijacked attach socket (a ``socket.socket``) in asyncio."""
    loop = asyncio.get_running_loop()
    stdout = asyncio.StreamReader(limit=1 << 20)
    stderr = asyncio.StreamReader()
    _, protocol = await loop.create_connection(lambda: AttachProtocol(stdout, stderr), sock=sock)
    return protocol, AttachStdin(protocol)


def own_socket(attached: Any) -> socket.socket:
    """A socket of our own for the hijacked attach connection (a dup of its descriptor), so
    the SDK's response objects can be closed now without closing the stream."""
    raw = getattr(attached, "_sock", attached)
    if not isinstance(raw, socket.socket) or type(raw) is not socket.socket:
        raise SandboxStartError(
            "the docker backend attaches over a unix socket or plain TCP engine endpoint; "
            f"this engine connection gives a {type(raw).__name__}"
        )
    sock = socket.socket(fileno=os.dup(raw.fileno()))
    response = getattr(attached, "_response", None)
    with contextlib.suppress(Exception):
        attached.close()
    if response is not None:
        with contextlib.suppress(Exception):
            response.close()
    return sock
