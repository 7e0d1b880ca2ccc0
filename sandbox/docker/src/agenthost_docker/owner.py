"""Who owns a sandbox container: labels, and the host process named in them.

A container carries ``agenthost.owner = HOSTNAME/PID/START`` (``START``: the process's start
time in clock ticks since boot, so a recycled pid is not mistaken for the owner). A host
reaps another host's containers only when that owner is on the same machine and gone.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

LABEL_BACKEND = "agenthost.backend"
LABEL_SANDBOX = "agenthost.sandbox"
LABEL_INSTANCE = "agenthost.instance"
LABEL_OWNER = "agenthost.owner"


def _start_time(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return ""
    # Field 22; the command name (field 2) may hold spaces, so split after its ')'.
    return stat.rpartition(b")")[2].split()[19].decode()


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    start: str

    @classmethod
    def of(cls, pid: int) -> Owner:
        """The process ``pid`` of this machine."""
        return cls(socket.gethostname(), pid, _start_time(pid))

    @classmethod
    def current(cls) -> Owner:
        return cls.of(os.getpid())

    @classmethod
    def parse(cls, label: str) -> Owner | None:
        host, _, rest = label.rpartition("/")
        host, _, pid = host.rpartition("/")
        if not host or not pid.isdigit():
            return None
        return cls(host, int(pid), rest)

    def alive(self) -> bool:
        """Is this process (same pid, same start time) still running on this machine?"""
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return not self.start or _start_time(self.pid) in ("", self.start)

    def __str__(self) -> str:
        return f"{self.host}/{self.pid}/{self.start}"
