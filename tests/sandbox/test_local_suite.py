"""The sandbox conformance suite against the ``local`` backend, with and without bubblewrap."""

from __future__ import annotations

import os
from typing import Any

import pytest

from agenthost.sandbox.api import Sandbox
from agenthost.testing.sandbox_suite import SandboxBackendSuite


class TestLocalBwrap(SandboxBackendSuite):
    """bubblewrap in force (``bwrap = "require"``): every attack must be contained."""

    @pytest.fixture
    def sandbox_profile(self, bwrap_works: None) -> dict[str, Any]:
        return {"backend": "local", "bwrap": "require"}


class TestLocalFallback(SandboxBackendSuite):
    """No bubblewrap (``bwrap = "off"``): process-level isolation only. What that cannot
    contain is skipped with the reason, as docs/sandbox.md lists it."""

    @pytest.fixture
    def sandbox_profile(self) -> dict[str, Any]:
        return {"backend": "local", "bwrap": "off"}

    def cannot_contain(self, attack: str, sandbox: Sandbox) -> str | None:
        info = sandbox.info()["backend"]
        if attack == "fork_bomb" and not isinstance(info["limits"]["pids"], int):
            return str(info["limits"]["pids"])
        if attack == "network":
            return "without bwrap there is no network namespace"
        if attack == "readonly_system":
            if info["uid"] == 0:
                return "the host runs as root and the sandbox could not drop to its own uid"
            return "without bwrap the sandbox sees the host's files with its uid's rights"
        if attack == "other_sandbox" and info["uid"] in (0, os.geteuid()):
            return "sandboxes run as the host's user, so they can read each other's work dirs"
        return None
