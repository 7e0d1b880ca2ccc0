"""A real ``redis-server`` for the session: own port, own temp dir, no persistence.

Without ``redis-server`` on PATH the Redis tests skip, except under
``AGENTHOST_REQUIRE_ENGINES=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import os
import queue
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    port: int
    dir: Path
    proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start redis-server and read its log until it accepts connections (at most 20 s)."""
        binary = shutil.which("redis-server")
        assert binary is not None
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", "--appendonly", "no", "--logfile", "", "--daemonize", "no"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self.proc.stdout is not None
        # A thread reads the log (and keeps draining it, so redis never blocks on a full
        # pipe); select() on a buffered text pipe can miss lines already read into the buffer.
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.proc.stdout

        def drain() -> None:
            for line in stdout:
                lines.put(line)
            lines.put("")

        threading.Thread(target=drain, daemon=True).start()
        log: list[str] = []
        deadline = time.monotonic() + 20
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                break
            if not line:
                break
            log.append(line)
            if "Ready to accept connections" in line:
                return
        self.stop()
        raise AssertionError("redis-server did not start:\n" + "".join(log))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(20)
            self.proc = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("AGENTHOST_REQUIRE_ENGINES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()
