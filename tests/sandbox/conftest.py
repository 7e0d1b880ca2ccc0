"""Shared by the sandbox tests: ``bwrap_works`` and the Docker ``engine`` fail in CI (or skip
elsewhere) when the engine they need is missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

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


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    """A docker SDK client to a live engine (skips, or fails under CI, without one)."""
    from agenthost_docker.testing import require_engine  # only the docker tests need it

    client = require_engine()
    yield client
    client.close()
