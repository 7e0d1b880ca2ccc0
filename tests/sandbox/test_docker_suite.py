"""The sandbox conformance suite against the ``docker`` backend and a real engine: every
attack must be contained (nothing is declared uncontainable)."""

from __future__ import annotations

from typing import Any

import pytest

from agenthost.testing.sandbox_suite import SandboxBackendSuite
from agenthost_docker import DEFAULT_IMAGE

pytestmark = pytest.mark.docker


class TestDocker(SandboxBackendSuite):
    """Hardened defaults: no network, no capabilities, read-only root, non-root, limits."""

    @pytest.fixture
    def sandbox_profile(self, engine: Any) -> dict[str, Any]:
        return {"backend": "docker", "image": DEFAULT_IMAGE}
