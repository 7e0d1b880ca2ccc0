"""The sandbox conformance suite against the ``local`` backend, with and without bubblewrap."""

from __future__ import annotations

import os
from typing import Any

import pytest

from agenthost.sandbox.api import Sandbox
from agenthost.testing.sandbox_suite import SandboxBackendSuite

from .conftest import unisolated


class TestLocalBwrap(SandboxBackendSuite):
    """bubblewrap in force (the default, ``isolation = "bwrap"``): every attack is contained."""

    @pytest.fixture
    def sandbox_profile(self, bwrap_works: None) -> dict[str, Any]:
        return {"backend": "local"}


class TestLocalUnisolated(SandboxBackendSuite):
    """No isolation, opted into (``isolation = "none"``). What that cannot contain is skipped
    with the reason, as docs/sandbox.md lists it; run as root (CI), the sandbox has a uid of
    its own, so fork bombs, system writes and other sandboxes' files are contained."""

    @pytest.fixture
    def sandbox_profile(self) -> dict[str, Any]:
        return unisolated()

    def cannot_contain(self, attack: str, sandbox: Sandbox) -> str | None:
        info = sandbox.info()["backend"]
        assert info["isolation"] == "none" and info["uid"] != 0  # never root
        if attack == "fork_bomb" and not isinstance(info["limits"]["pids"], int):
            return str(info["limits"]["pids"])
        if attack == "network":
            return "without bwrap there is no network namespace"
        if attack in ("readonly_system", "other_sandbox") and info["uid"] == os.geteuid():
            return "the sandbox runs as the host's user, with that user's rights on every file"
        return None
