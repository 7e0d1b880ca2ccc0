"""One host serving every frontend (native, Responses, Chat, A2A) for the fuzz tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from tests.core.agents import echo

from .checks import WAIT

LIMIT = 256 * 1024


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    # sqlite: what reaches a store must be storable (a lone surrogate once reached it)
    db = tmp_path_factory.mktemp("fuzz") / "host.db"
    config = {
        "host": {"max_body_bytes": LIMIT},
        "frontends": {"native": {}, "responses": {}, "chat": {}, "a2a": {}},
        "store": {"backend": "sqlite", "path": str(db)},
    }
    app = AgentApp(parse_config(config, "<fuzz>"))
    app.agent("echo")(echo)
    with running_server(app) as handle:
        yield handle


@pytest.fixture(scope="package")
def http(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=WAIT) as client:
        yield client
