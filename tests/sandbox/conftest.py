"""Shared by the sandbox tests: ``bwrap_works`` and the Docker ``engine`` fail in CI (or skip
elsewhere) when the engine they need is missing; ``UNISOLATED`` is the profile table of the
local backend's explicit no-isolation mode; ``NO_BWRAP`` pretends bubblewrap is absent."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from agenthost.sandbox.bwrap import BWRAP_ENV, probe_bwrap
from agenthost.sandbox.local import runnable_by_others

# Points the local backend at a bwrap that does not exist: a machine without bubblewrap.
NO_BWRAP = {BWRAP_ENV: "/nonexistent/agenthost-test/bwrap"}


def shared_python() -> str:
    """An interpreter every user can run (this one when it is): a root host drops a
    no-isolation sandbox to a uid of its own, which must be able to run it. The executor is
    stdlib-only, so the system's Python serves when this one lives under /root."""
    for python in (sys.executable, "/usr/bin/python3"):
        if runnable_by_others(python):
            return python
    pytest.fail("no Python interpreter that other users can run: cannot test isolation = none")


def unisolated(**table: Any) -> dict[str, Any]:
    """A local profile with ``isolation = "none"`` (and a Python a dropped uid can run)."""
    return {"backend": "local", "isolation": "none", "python": shared_python(), **table}


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
