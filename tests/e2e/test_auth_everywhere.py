"""The meta-test over a whole host: every route that every installed frontend mounts answers
401 without credentials, except the few that are public on purpose."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Mount

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import running_server

from ..core.agents import echo

# Public on purpose: liveness/readiness, the API description, A2A cards (they say how to
# authenticate), the web UI's static files (they hold no data).
PUBLIC = re.compile(
    r"^/(healthz|readyz|openapi\.json|docs(/oauth2-redirect)?|redoc)$"
    r"|/\.well-known/agent-card\.json$"
    r"|^/ui(/|$)"
)


def test_every_route_of_every_installed_frontend_needs_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("META_KEY", "meta-key-1")
    # No [frontends] table: every installed frontend is served (loopback).
    app = AgentApp(parse_config({"host": {"api_keys": [{"env": "META_KEY"}]}}))
    app.agent("echo")(echo)
    frontends = {f.name for f in app.host.frontends}
    assert {"native", "responses", "chat", "a2a"} <= frontends
    with running_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        checked: list[str] = []
        for route in app.routes:
            path = getattr(route, "path", "")
            if isinstance(route, Mount):
                paths, methods = [path.rstrip("/") + "/anything"], ["GET", "POST"]
            else:
                paths = [path]
                methods = sorted((getattr(route, "methods", None) or {"GET"}) - {"HEAD"})
            for raw in paths:
                concrete = re.sub(r"{([^}:]+)(:[^}]+)?}", r"x\1", raw).replace("{", "")
                concrete = concrete.replace("xagent", "echo")
                if PUBLIC.search(concrete):
                    continue
                for method in methods:
                    response = client.request(method, concrete, content=b"{}",
                                              headers={"content-type": "application/json"})
                    assert response.status_code == 401, (method, concrete, response.text[:200])
                    with_key = client.request(
                        method, concrete, content=b"{}",
                        headers={"content-type": "application/json",
                                 "authorization": "Bearer meta-key-1"},
                    )
                    assert with_key.status_code != 401, (method, concrete)
                    checked.append(f"{method} {concrete}")
        assert len(checked) >= 20, checked
        # and the public ones really are open
        assert client.get("/.well-known/agent-card.json").status_code == 200
        assert client.get("/healthz").status_code == 200
