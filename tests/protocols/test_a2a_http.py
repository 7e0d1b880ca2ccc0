"""Cards, paths (several agents, the default at the root, no shadowing) and API keys."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from a2a.types import GetTaskRequest, TaskState
from starlette.routing import Match

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .a2a_fixtures import (
    AGENTS,
    WAIT,
    artifact_text,
    client_for,
    fetch_card,
    make_app,
    rpc,
    send,
    serve,
    user_message,
)

CORE_AND_OPENAI_PATHS = [
    ("GET", "/agents"),
    ("GET", "/agents/echo"),
    ("POST", "/agents/echo/runs"),
    ("GET", "/runs/r_1"),
    ("GET", "/runs/r_1/events"),
    ("POST", "/runs/r_1/cancel"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/v1/responses"),
    ("GET", "/v1/responses/resp_1"),
    ("POST", "/v1/responses/resp_1/cancel"),
    ("POST", "/v1/chat/completions"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/echo"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with serve(agents=AGENTS, frontend={"default_agent": "confirm"}) as handle:
        yield handle


@pytest.mark.parametrize(("method", "path"), CORE_AND_OPENAI_PATHS)
def test_no_a2a_route_matches_a_core_or_openai_path(method: str, path: str) -> None:
    app = make_app(agents=AGENTS)
    frontend = next(f for f in app.host.frontends if f.name == "a2a")
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    matching = [r for r in frontend.routes() if r.matches(scope)[0] != Match.NONE]
    assert matching == [], f"{method} {path} would reach the a2a frontend"


def test_native_and_a2a_side_by_side() -> None:
    app = AgentApp(parse_config({"frontends": {"a2a": {}, "native": {}}}))
    app.agent("echo", adapter="python")(AGENTS["echo"])
    with running_server(app) as server:
        agents = httpx.get(server.url + "/agents", timeout=WAIT)
        assert agents.status_code == 200 and agents.json()["agents"][0]["name"] == "echo"
        card = httpx.get(server.url + "/.well-known/agent-card.json", timeout=WAIT)
        assert card.json()["name"] == "echo"


async def test_each_agent_has_its_own_card_and_endpoints(server: ServerHandle) -> None:
    for name in AGENTS:
        card = await fetch_card(f"{server.url}/a2a/{name}")
        assert card.name == name
        assert {i.url for i in card.supported_interfaces} == {f"{server.url}/a2a/{name}"}
    echo = await client_for(server.url + "/a2a/echo", "JSONRPC", "1.0")
    task = (await send(echo, user_message("via the agent path")))[0].task
    assert artifact_text(task) == "via the agent path "
    # A task belongs to its agent: another agent's endpoint does not know it.
    other = await client_for(server.url + "/a2a/gated", "JSONRPC", "1.0")
    with pytest.raises(Exception, match="not found"):
        await other.get_task(GetTaskRequest(id=task.id))
    await echo.close()
    await other.close()


async def test_the_default_agent_is_also_at_the_root(server: ServerHandle) -> None:
    card = await fetch_card(server.url)
    assert card.name == "confirm"  # default_agent = "confirm"
    assert {i.url for i in card.supported_interfaces} == {server.url}
    client = await client_for(server.url, "HTTP+JSON", "1.0")
    task = (await send(client, user_message("rm -rf /tmp/x")))[0].task
    assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    await client.close()


def test_json_rpc_also_answers_with_a_trailing_slash(server: ServerHandle) -> None:
    answer = rpc(server.url + "/a2a/echo/", "GetTask", {"id": "nope"})
    assert answer.json()["error"]["code"] == -32001


def test_an_unknown_agent_is_a_404_naming_the_known_ones(server: ServerHandle) -> None:
    answer = httpx.get(server.url + "/a2a/nobody/.well-known/agent-card.json", timeout=WAIT)
    assert answer.status_code == 404
    message = answer.json()["error"]["message"]
    assert "nobody" in message and "echo" in message and "confirm" in message


def test_card_urls_come_from_the_configured_public_url() -> None:
    host = {"public_url": "https://agents.example.com/base"}
    with serve(agents=AGENTS, host=host) as server:
        card = httpx.get(server.url + "/a2a/confirm/.well-known/agent-card.json").json()
        urls = {i["url"] for i in card["supportedInterfaces"]}
        assert urls == {"https://agents.example.com/base/a2a/confirm"}
        root = httpx.get(server.url + "/.well-known/agent-card.json").json()
        assert root["url"] == "https://agents.example.com/base"  # the 0.3 field too


def test_a_loopback_public_url_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    with (
        caplog.at_level("WARNING", logger="agenthost.a2a"),
        serve(host={"public_url": "http://127.0.0.1:9000"}),
    ):
        pass
    assert any("loopback" in r.getMessage() for r in caplog.records)


def test_the_card_has_no_0_3_security_shape_for_a_1_0_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("A2A_TEST_KEY", "k-123")
    with serve(host={"api_keys": [{"env": "A2A_TEST_KEY"}]}) as server:
        for headers in ({}, {"A2A-Version": "1.0"}):
            card = httpx.get(server.url + "/.well-known/agent-card.json", headers=headers).json()
            # The scheme is named after the host's authenticator (bearer).
            assert card["securitySchemes"] == {
                "bearer": {
                    "httpAuthSecurityScheme": {
                        "scheme": "bearer",
                        "description": card["securitySchemes"]["bearer"][
                            "httpAuthSecurityScheme"
                        ]["description"],
                    }
                }
            }
            assert card["securityRequirements"] == [{"schemes": {"bearer": {}}}]
        legacy = httpx.get(
            server.url + "/.well-known/agent-card.json", headers={"A2A-Version": "0.3"}
        ).json()
        assert legacy["securitySchemes"]["bearer"]["type"] == "http"  # what 0.3 readers parse


async def test_api_keys_guard_everything_but_the_card(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A2A_TEST_KEY", "k-123")
    with serve(host={"api_keys": [{"env": "A2A_TEST_KEY"}]}) as server:
        card = httpx.get(server.url + "/.well-known/agent-card.json", timeout=WAIT)
        assert card.status_code == 200  # discovery stays public

        for request in (
            lambda: rpc(server.url, "GetTask", {"id": "x"}),
            lambda: httpx.get(server.url + "/tasks", headers={"A2A-Version": "1.0"}),
            lambda: httpx.post(server.url + "/v1/message:send", json={}),
            lambda: rpc(server.url + "/a2a/echo", "GetTask", {"id": "x"}),
        ):
            answer = request()
            assert answer.status_code == 401, answer.text
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert "API key" in answer.json()["error"]["message"]

        wrong = await client_for(server.url, headers={"Authorization": "Bearer nope"})
        with pytest.raises(Exception, match="401"):
            await send(wrong, user_message("hi"))
        right = await client_for(server.url, headers={"Authorization": "Bearer k-123"})
        task = (await send(right, user_message("with the key")))[0].task
        assert artifact_text(task) == "with the key "
        await wrong.close()
        await right.close()


def test_subscribing_to_an_unknown_task_streams_one_error_event(server: ServerHandle) -> None:
    with httpx.stream(
        "POST",
        server.url,
        json={"jsonrpc": "2.0", "id": 7, "method": "SubscribeToTask", "params": {"id": "nope"}},
        headers={"A2A-Version": "1.0"},
        timeout=WAIT,
    ) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        body = answer.read().decode()
    assert "event: error" in body
    data = json.loads(body.split("data: ", 1)[1].strip())
    assert data["id"] == 7 and data["error"]["code"] == -32001
