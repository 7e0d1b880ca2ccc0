"""The ``ui`` frontend over plain HTTP: public files with a same-origin-only CSP, nothing from
elsewhere, nothing else readable, not in OpenAPI, and gone when the config leaves it out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from agenthost import AgentApp
from agenthost.builtin.ui import STATIC
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .conftest import ui_app


@pytest.fixture(scope="module")
def keyed(monkeypatch_module: pytest.MonkeyPatch) -> Iterator[ServerHandle]:
    monkeypatch_module.setenv("UI_FRONTEND_KEY", "k-0123456789")
    config = {"host": {"api_keys": [{"env": "UI_FRONTEND_KEY", "principal": "p"}]}}
    with running_server(ui_app(config)) as handle:
        yield handle


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_files_are_public_and_same_origin_only(keyed: ServerHandle) -> None:
    with httpx.Client(base_url=keyed.url, timeout=10) as client:
        assert client.get("/agents").status_code == 401  # the data is not public
        moved = client.get("/ui")
        assert moved.status_code == 308 and moved.headers["location"] == "/ui/"
        page = client.get("/ui/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "connect-src 'self'" in csp
        for name in re.findall(r'(?:src|href)="([^"]+)"', page.text):
            assert "/" not in name, f"index.html loads {name} from elsewhere"
            asset = client.get(f"/ui/{name}")
            assert asset.status_code == 200, name
        script = client.get("/ui/app.js")
        assert script.headers["content-type"].startswith("text/javascript")
        for path in ("/ui/nope.js", "/ui/__init__.py", "/ui/.hidden.js", "/ui/..%2F__init__.py"):
            assert client.get(path).status_code == 404, path
        assert not [p for p in client.get("/openapi.json", headers={
            "Authorization": "Bearer k-0123456789"}).json()["paths"] if p.startswith("/ui")]


def test_nothing_is_fetched_from_elsewhere() -> None:
    """No file names another origin: no CDN, font, script or image from the internet."""
    files = sorted(STATIC.iterdir())
    assert {f.name for f in files} >= {"index.html", "app.js", "ui.css"}
    for path in files:
        text = path.read_text()
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/|@import|url\(", text), path.name


def test_left_out_of_frontends_it_is_off() -> None:
    app = AgentApp(parse_config({"frontends": {"native": {}}}))
    with running_server(app) as handle:
        assert httpx.get(handle.url + "/ui/", timeout=10).status_code == 404
        assert httpx.get(handle.url + "/agents", timeout=10).status_code == 200
