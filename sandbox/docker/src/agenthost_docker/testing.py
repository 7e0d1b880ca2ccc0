"""Helpers for tests that need a Docker engine and the sandbox image.

``require_engine(image)`` returns a docker client when an engine answers and has the image;
otherwise it skips the test, or fails it when ``AGENTHOST_REQUIRE_ENGINES=1`` (CI), so a CI
machine without an engine can never pass the Docker suite by skipping it.
"""

from __future__ import annotations

import os
from typing import Any

from .image import DEFAULT_IMAGE


def _missing(why: str) -> None:
    import pytest

    if os.environ.get("AGENTHOST_REQUIRE_ENGINES") == "1":
        pytest.fail(f"AGENTHOST_REQUIRE_ENGINES=1 but {why}", pytrace=False)
    pytest.skip(why)


def require_engine(image: str = DEFAULT_IMAGE) -> Any:
    """A docker client for an engine that answers and has ``image``; else skip (or fail)."""
    try:
        import docker
    except ImportError:
        _missing("the docker SDK is not installed")
        raise
    try:
        client = docker.from_env(version="auto")
        client.ping()
    except Exception as exc:
        _missing(f"no Docker engine answers ({exc}); see sandbox/images/ci-engine.sh")
        raise
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        client.close()
        _missing(f"image {image} is missing: run `agenthost sandbox build-image --tag {image}`")
        raise
    return client
