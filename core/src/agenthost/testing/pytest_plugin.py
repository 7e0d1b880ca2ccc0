"""pytest plugin (entry point ``pytest11``): fixtures for testing agenthost hosts and plugins.

- ``agenthost_server``: a factory; ``agenthost_server(app_or_config)`` serves it on an
  ephemeral port for the test and returns a ``ServerHandle`` (``.url``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from .server import ServerHandle, running_server


@pytest.fixture
def agenthost_server() -> Iterator[Callable[[Any], ServerHandle]]:
    with ExitStack() as stack:

        def start(app_or_config: Any) -> ServerHandle:
            from ..app import AgentApp
            from ..config import Config, parse_config

            if isinstance(app_or_config, dict):
                app_or_config = parse_config(app_or_config, "<test>")
            app = AgentApp(app_or_config) if isinstance(app_or_config, Config) else app_or_config
            return stack.enter_context(running_server(app))

        yield start
