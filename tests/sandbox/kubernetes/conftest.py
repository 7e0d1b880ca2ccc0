"""The fake API server (a double: no cluster can run here) and profiles pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.conftest import require_bwrap

from .fake_apiserver import FakeApiServer

NAMESPACE = "sandboxes"


@pytest.fixture(scope="session")
def fake_api() -> Iterator[FakeApiServer]:
    require_bwrap()  # the fake's "containers" are bubblewrap sandboxes
    server = FakeApiServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fake_kubeconfig(fake_api: FakeApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fake_api.kubeconfig(tmp_path_factory.mktemp("kube") / "config")


@pytest.fixture
def api(fake_api: FakeApiServer) -> Iterator[FakeApiServer]:
    """The fake, with this test's faults and recorded calls only."""
    fake_api.reset()
    yield fake_api
    fake_api.reset()


@pytest.fixture
def k8s_profile(api: FakeApiServer, fake_kubeconfig: Path) -> dict[str, Any]:
    """A [sandboxes.NAME] table for the kubernetes backend on the fake server."""
    return {
        "backend": "kubernetes",
        "namespace": NAMESPACE,
        "kubeconfig": str(fake_kubeconfig),
        "start_timeout": 20,
        # The fake mounts the work dir over this machine's own tree: keep it off any path the
        # host's Python lives under (a checkout in /work would vanish under the default).
        "workdir": "/agenthost-work",
    }
