"""``agenthost serve CONFIG`` as real processes a test starts, kills and restarts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.core.test_cli import ROOT, free_port, wait_ready


class ServeProcesses:
    """Starts ``agenthost serve config`` on fresh loopback ports; ``stop_all`` ends them."""

    def __init__(self, config: Path):
        self.config = config
        self.procs: list[subprocess.Popen[str]] = []

    def start(self) -> tuple[subprocess.Popen[str], str]:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "agenthost.cli", "serve", str(self.config), "--port",
             str(port)],
            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        )
        self.procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_ready(proc, url)
        return proc, url

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
