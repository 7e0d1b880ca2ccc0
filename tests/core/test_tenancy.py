"""Identity and tenancy over real HTTP: two principals on one host never see each other's work.

A uvicorn server on an ephemeral port, httpx clients holding two API keys mapped to the
principals alice and bob.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import Depends, HTTPException, Request

from agenthost import AgentApp, RunContext, RunInput
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .agents import Gate, echo, remembers, slow_agent

KEYS = {"alice": "key-alice-1", "bob": "key-bob-2"}


async def sandbox_vars(input: RunInput, ctx: RunContext) -> AsyncIterator[str]:
    """``set N`` stores N in the session's sandbox; ``get`` reads it back."""
    sandbox = await ctx.sandbox()
    if input.text.startswith("set "):
        await sandbox.run_python(f"secret = {int(input.text[4:])}")
        yield "stored"
    else:
        result = await sandbox.run_python("print(globals().get('secret', 'none'))")
        yield f"secret={result.stdout.strip()}"


async def whoami(input: RunInput, ctx: RunContext) -> AsyncIterator[str]:
    yield f"{ctx.principal.id}|{input.user_id}"


def keyed_config(**extra: Any) -> dict[str, Any]:
    return {
        "host": {
            "api_keys": [
                {"env": "TEST_KEY_ALICE", "principal": "alice"},
                {"env": "TEST_KEY_BOB", "principal": "bob"},
            ]
        },
        "frontends": {"native": {}},
        **extra,
    }


@pytest.fixture(autouse=True)
def api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_KEY_ALICE", KEYS["alice"])
    monkeypatch.setenv("TEST_KEY_BOB", KEYS["bob"])


@pytest.fixture
def gate() -> Gate:
    return Gate()


def serve_app(config: dict[str, Any], gate: Gate) -> AgentApp:
    app = AgentApp(parse_config(config))
    for name, fn in [("echo", echo), ("remembers", remembers), ("whoami", whoami),
                     ("slow", slow_agent(gate)), ("vars", sandbox_vars)]:
        app.agent(name)(fn)
    return app


@pytest.fixture
def server(gate: Gate) -> Iterator[ServerHandle]:
    with running_server(serve_app(keyed_config(), gate)) as handle:
        yield handle


def client_for(server: ServerHandle, who: str | None) -> httpx.Client:
    headers = {"authorization": f"Bearer {KEYS[who]}"} if who else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


@pytest.fixture
def alice(server: ServerHandle) -> Iterator[httpx.Client]:
    with client_for(server, "alice") as c:
        yield c


@pytest.fixture
def bob(server: ServerHandle) -> Iterator[httpx.Client]:
    with client_for(server, "bob") as c:
        yield c


def run_json(client: httpx.Client, agent: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/agents/{agent}/runs", json={"stream": False, **body})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def output_text(result: dict[str, Any]) -> str:
    return "".join(p["text"] for m in result["run"]["output"] for p in m["parts"])


# --------------------------------------------------------------------------- runs


def test_another_principals_run_reads_as_unknown(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    run_id = run_json(alice, "echo", input="mine only")["run"]["run_id"]
    assert alice.get(f"/runs/{run_id}").json()["owner"] == "alice"
    unknown = bob.get("/runs/r_doesnotexist")
    for response in (
        bob.get(f"/runs/{run_id}"),
        bob.get(f"/runs/{run_id}/events"),
        bob.post(f"/runs/{run_id}/cancel"),
    ):
        assert response.status_code == 404
        # The same answer as for an id that does not exist: no existence leak.
        assert response.json()["error"]["code"] == unknown.json()["error"]["code"]
        assert run_id in response.json()["error"]["message"]


def test_another_principal_cannot_cancel_a_live_run(
    server: ServerHandle, alice: httpx.Client, bob: httpx.Client, gate: Gate
) -> None:
    started = alice.post("/agents/slow/runs", json={"input": "x", "background": True})
    assert started.status_code == 202
    run_id = started.json()["run_id"]
    server.call(gate.entered.wait())
    assert bob.post(f"/runs/{run_id}/cancel").status_code == 404
    assert alice.get(f"/runs/{run_id}").json()["status"] == "running"
    assert not gate.cancelled
    assert alice.post(f"/runs/{run_id}/cancel").json()["status"] == "cancelled"
    assert gate.cancelled


def test_user_id_in_the_body_is_metadata_not_identity(bob: httpx.Client) -> None:
    result = run_json(bob, "whoami", input="x", user_id="alice")
    assert output_text(result) == "bob|alice"
    assert result["run"]["owner"] == "bob"


# --------------------------------------------------------------------------- sessions


def test_the_same_session_id_is_two_sessions_for_two_principals(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    run_json(alice, "remembers", input="alice's first", session_id="shared")
    second = run_json(alice, "remembers", input="again", session_id="shared")
    assert output_text(second) == "history=2 last=history=0 last="
    bobs = run_json(bob, "remembers", input="bob's first", session_id="shared")
    assert output_text(bobs) == "history=0 last="  # nothing of alice's history


def test_the_same_session_id_never_shares_a_sandbox(
    alice: httpx.Client, bob: httpx.Client
) -> None:
    assert output_text(run_json(alice, "vars", input="set 4242", session_id="s1")) == "stored"
    assert output_text(run_json(alice, "vars", input="get", session_id="s1")) == "secret=4242"
    assert output_text(run_json(bob, "vars", input="get", session_id="s1")) == "secret=none"


def test_delete_session_forgets_history_runs_and_sandbox(
    server: ServerHandle, alice: httpx.Client, bob: httpx.Client
) -> None:
    first = run_json(alice, "vars", input="set 7", session_id="gone")
    run_id = first["run"]["run_id"]
    run_json(alice, "remembers", input="remember me", session_id="gone")
    # bob deleting "gone" deletes bob's (empty) session, never alice's
    assert bob.delete("/sessions/gone").status_code == 204
    assert alice.get(f"/runs/{run_id}").status_code == 200
    assert alice.delete("/sessions/gone").status_code == 204
    assert alice.get(f"/runs/{run_id}").status_code == 404
    after = run_json(alice, "remembers", input="who?", session_id="gone")
    assert output_text(after) == "history=0 last="
    assert output_text(run_json(alice, "vars", input="get", session_id="gone")) == "secret=none"


def test_a_sessionless_run_leaves_no_sandbox(
    server: ServerHandle, alice: httpx.Client
) -> None:
    manager = server.app.host.sandboxes
    assert output_text(run_json(alice, "vars", input="set 1")) == "stored"
    assert manager.describe()["default"]["sessions"] == 0
    run_json(alice, "vars", input="set 2", session_id="kept")
    assert manager.describe()["default"]["sessions"] == 1


# --------------------------------------------------------------------------- authentication


def test_every_mounted_route_needs_credentials(server: ServerHandle) -> None:
    """The meta-test: walk every route the app mounts; only the declared public ones answer
    without credentials (a bad key and a non-ASCII token are refused the same way)."""
    app = server.app
    public = {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
    checked = 0
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for route in app.routes:
            path = getattr(route, "path", "")
            methods = sorted(getattr(route, "methods", None) or {"GET"})
            if path in public:
                continue
            concrete = path.replace("{", "").replace("}", "").replace(":path", "")
            for method in methods:
                for headers in ({}, {"authorization": "Bearer wrong"},
                                {"authorization": "Bearer caf\u00e9".encode("latin-1")}):
                    response = anonymous.request(method, concrete, headers=headers)  # type: ignore[arg-type]
                    assert response.status_code == 401, (method, path, headers, response.text)
                    assert "WWW-Authenticate" in response.headers
                checked += 1
    assert checked >= 7  # the native API's routes at least


def test_a_malformed_authorization_header_is_401_not_500(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for value in (b"Bearer \xff\xfe", b"Bearer", b"Bearer a b", b"Basic Zm9vOmJhcg=="):
            response = client.get("/agents", headers={"authorization": value})  # type: ignore[dict-item]
            assert response.status_code == 401, value


def test_openapi_lists_the_native_routes_with_schemas(alice: httpx.Client) -> None:
    doc = alice.get("/openapi.json").json()
    start = doc["paths"]["/agents/{name}/runs"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/StartRunBody"
    )
    assert "StartRunBody" in doc["components"]["schemas"]
    assert "RunRecord" in doc["components"]["schemas"]
    assert start["security"] == [{"bearer": []}]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {"/runs/{run_id}", "/runs/{run_id}/cancel", "/sessions/{session_id}"} <= set(
        doc["paths"]
    )


# --------------------------------------------------------------------------- quotas


def test_concurrent_runs_over_the_quota_get_429(gate: Gate) -> None:
    config = keyed_config(quotas={"max_concurrent_runs": 1})
    with running_server(serve_app(config, gate)) as server, \
            client_for(server, "alice") as alice, client_for(server, "bob") as bob:
        first = alice.post("/agents/slow/runs", json={"input": "x", "background": True})
        assert first.status_code == 202
        server.call(gate.entered.wait())
        refused = alice.post("/agents/echo/runs", json={"input": "more", "stream": False})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "quota_exceeded"
        assert "max_concurrent_runs" in refused.json()["error"]["message"]
        # another principal has its own quota
        assert run_json(bob, "echo", input="fine")["run"]["status"] == "completed"
        alice.post(f"/runs/{first.json()['run_id']}/cancel")
        assert run_json(alice, "echo", input="now fine")["run"]["status"] == "completed"


def test_request_rate_over_the_quota_gets_429(gate: Gate) -> None:
    config = keyed_config(quotas={"requests_per_minute": 3})
    with running_server(serve_app(config, gate)) as server, \
            client_for(server, "alice") as alice, client_for(server, "bob") as bob:
        codes = [alice.get("/agents").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429]
        limited = alice.get("/agents")
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        assert int(limited.headers["retry-after"]) >= 1
        assert bob.get("/agents").status_code == 200


def test_sandboxes_over_the_quota_fail_the_tool_naming_the_limit(gate: Gate) -> None:
    config = keyed_config(quotas={"max_sandboxes": 1})
    with running_server(serve_app(config, gate)) as server, client_for(server, "alice") as alice:
        assert output_text(run_json(alice, "vars", input="set 1", session_id="a")) == "stored"
        refused = run_json(alice, "vars", input="set 2", session_id="b")["run"]
        assert refused["status"] == "failed"
        assert "max_sandboxes = 1" in refused["error"]["message"]
        assert alice.delete("/sessions/a").status_code == 204
        assert output_text(run_json(alice, "vars", input="set 3", session_id="b")) == "stored"


# --------------------------------------------------------------------------- mounting


def test_app_dependencies_and_lifespan_apply_to_the_host_routes(gate: Gate) -> None:
    seen: list[str] = []

    async def audit(request: Request) -> None:
        seen.append(request.url.path)
        if request.headers.get("x-tenant") != "acme":
            raise HTTPException(403, "x-tenant header required")

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        seen.append("lifespan up")
        yield
        seen.append("lifespan down")

    app = AgentApp(parse_config({}), dependencies=[Depends(audit)], lifespan=lifespan)
    app.agent("echo")(echo)
    with running_server(app) as server, httpx.Client(base_url=server.url) as client:
        assert seen == ["lifespan up"]
        assert client.get("/agents").status_code == 403
        ok = client.post("/agents/echo/runs", json={"input": "hi", "stream": False},
                         headers={"x-tenant": "acme"})
        assert ok.status_code == 200
        assert "/agents/echo/runs" in seen
        assert client.get("/healthz").status_code == 200  # the host's probes stay open
    assert seen[-1] == "lifespan down"


async def test_a_public_listener_without_authentication_refuses_requests() -> None:
    """The guard runs per request too, whatever server runs the app: a request arriving on a
    non-loopback address of a host with no authenticator is refused (403). Driven through
    the ASGI interface with a scope naming a public server address, since tests listen on
    loopback only."""
    app = AgentApp(parse_config({"frontends": {"native": {}}}))
    app.agent("echo")(echo)
    async with app.router.lifespan_context(app):
        for server_host, expected in (("10.1.2.3", 403), ("127.0.0.1", 200)):
            transport = httpx.ASGITransport(app=app)
            transport_scope_server = (server_host, 8000)

            async def call(scope: Any, receive: Any, send: Any,
                           _server: Any = transport_scope_server) -> None:
                scope["server"] = _server
                await app(scope, receive, send)

            transport = httpx.ASGITransport(app=call)
            async with httpx.AsyncClient(transport=transport, base_url="http://h") as client:
                response = await client.get("/agents")
            assert response.status_code == expected, response.text
            if expected == 403:
                assert "allow_unauthenticated" in response.json()["error"]["message"]


def test_sse_stream_of_an_authenticated_run(alice: httpx.Client, bob: httpx.Client) -> None:
    with alice.stream("POST", "/agents/echo/runs", json={"input": "a b c"}) as response:
        events = [json.loads(line[6:]) for line in response.iter_lines()
                  if line.startswith("data: ")]
    run_id = events[0]["run_id"]
    assert events[-1]["type"] == "run.completed"
    assert bob.get(f"/runs/{run_id}/events", params={"after": -1}).status_code == 404
    with alice.stream("GET", f"/runs/{run_id}/events", params={"after": 0}) as replay:
        again = [json.loads(line[6:]) for line in replay.iter_lines()
                 if line.startswith("data: ")]
    assert [e["seq"] for e in again] == [e["seq"] for e in events[1:]]
