"""Shared by the UI tests: a real Chromium (Debian's, driven by playwright: a missing browser
fails under AGENTHOST_REQUIRE_ENGINES=1, skips elsewhere), a real host serving the test agents,
and a fresh page per test whose last state is saved as a screenshot (``AGENTHOST_UI_SCREENSHOTS``
names the folder; a pytest temporary folder otherwise)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .agents import AGENTS, GATES, Gate

CHROMIUM = os.environ.get("AGENTHOST_CHROMIUM", "/usr/bin/chromium")
# Chromium as this machine can run it: root (no sandbox), no GPU, and no calls home (the
# network is closed; without these flags it keeps trying).
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
WAIT_MS = 10_000  # the bound on any one wait for the page (the waits are on DOM state)


def require_chromium() -> None:
    """Skip without a Chromium; fail instead when AGENTHOST_REQUIRE_ENGINES=1 (CI)."""
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return
    why = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("AGENTHOST_REQUIRE_ENGINES") == "1":
        pytest.fail(f"AGENTHOST_REQUIRE_ENGINES=1 but {why}", pytrace=False)
    pytest.skip(why)


def ui_app(config: dict[str, Any] | None = None) -> AgentApp:
    """A host with the native API and the UI, serving the test agents."""
    app = AgentApp(parse_config({"frontends": {"native": {}, "ui": {}}, **(config or {})}))
    for name, agent in AGENTS.items():
        app.agent(name, description=(agent.__doc__ or "").strip())(agent)
    return app


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with running_server(ui_app()) as handle:
        yield handle


@pytest.fixture
def gates() -> Iterator[dict[str, Gate]]:
    """Fresh gates for the gated agents; any left closed are opened at the end."""
    GATES.update(stream=Gate(), slow=Gate())
    yield GATES
    for gate in GATES.values():
        if gate.entered.is_set() and not gate.cancelled.is_set():
            gate.open()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("AGENTHOST_UI_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("ui-screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest, screenshots: Path) -> Iterator[Any]:
    """A fresh browser profile (empty localStorage); every page's last state is saved."""
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    yield context
    for number, page in enumerate(context.pages):
        page.screenshot(path=screenshots / f"{request.node.name}-{number}.png", full_page=True)
    context.close()


@pytest.fixture
def page(context: Any, server: ServerHandle) -> Any:
    page = context.new_page()
    page.goto(server.url + "/ui")
    return page
