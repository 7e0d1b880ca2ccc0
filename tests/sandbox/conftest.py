"""Shared by the local-backend tests: ``bwrap_works`` fails (CI) or skips without bubblewrap."""

from __future__ import annotations

import os

import pytest

from agenthost.sandbox.bwrap import probe_bwrap


def require_bwrap() -> None:
    """Skip without a working bwrap; fail instead when AGENTHOST_REQUIRE_ENGINES=1 (CI)."""
    support = probe_bwrap(False)
    if support.works:
        return
    why = f"bubblewrap cannot sandbox here: {support.detail}"
    if os.environ.get("AGENTHOST_REQUIRE_ENGINES") == "1":
        pytest.fail(f"AGENTHOST_REQUIRE_ENGINES=1 but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture
def bwrap_works() -> None:
    require_bwrap()
