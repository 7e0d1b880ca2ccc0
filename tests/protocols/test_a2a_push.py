"""Push notifications: delivered to allowed targets, refused for private ones (no SSRF)."""

from __future__ import annotations

import asyncio
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from a2a.types import TaskPushNotificationConfig
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agenthost.testing.server import ServerHandle, running_server
from agenthost_a2a.push import resolve

from .a2a_fixtures import WAIT, a2a_frontend, client_for, rpc, send, serve, user_message

INVALID_PARAMS, PUSH_NOT_SUPPORTED = -32602, -32003


class Receiver:
    """A webhook on loopback that records what it is sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], Any]] = []
        self.terminal = threading.Event()

    async def hook(self, request: Request) -> Response:
        body = await request.json()
        self.calls.append((dict(request.headers), body))
        state = body.get("statusUpdate", {}).get("status", {}).get("state", "")
        if state == "TASK_STATE_COMPLETED":
            self.terminal.set()
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, ServerHandle]]:
    hook = Receiver()
    with running_server(hook.app()) as handle:
        yield hook, handle


ALLOW_LIST = ["hooks.example.com", "*.example.org", "10.20.30.0/24"]


@pytest.fixture(scope="module")
def default_policy() -> Iterator[ServerHandle]:
    with serve() as handle:
        yield handle


@pytest.fixture(scope="module")
def allow_list() -> Iterator[ServerHandle]:
    with serve(frontend={"push_allowed_hosts": ALLOW_LIST}) as handle:
        yield handle


def a_task(url: str) -> str:
    answer = rpc(
        url,
        "SendMessage",
        {"message": {"messageId": "m-push", "role": "ROLE_USER", "parts": [{"text": "hi"}]}},
    )
    return str(answer.json()["result"]["task"]["id"])


def set_config(url: str, task_id: str, target: str) -> httpx.Response:
    return rpc(url, "CreateTaskPushNotificationConfig", {"taskId": task_id, "url": target})


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9/hook",
        "file:///etc/passwd",
        "http://no-such-host.invalid/hook",
    ],
)
def test_private_loopback_and_unresolvable_targets_are_refused_by_default(
    default_policy: ServerHandle, target: str
) -> None:
    url = default_policy.url
    answer = set_config(url, a_task(url), target)
    assert answer.json()["error"]["code"] == INVALID_PARAMS, answer.text


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("https://hooks.example.com/a2a", True),
        ("https://x.internal.example.org/a2a", True),
        ("http://10.20.30.40:8080/a2a", True),
        ("https://evil.example.com/a2a", False),
        ("http://127.0.0.1/a2a", False),  # loopback only when listed
        ("http://10.20.31.1/a2a", False),
        ("ftp://hooks.example.com/a2a", False),
    ],
)
def test_an_allow_list_admits_only_what_it_names(
    allow_list: ServerHandle, target: str, allowed: bool
) -> None:
    answer = set_config(allow_list.url, a_task(allow_list.url), target).json()
    if allowed:
        assert answer["result"]["url"] == target
    else:
        assert answer["error"]["code"] == INVALID_PARAMS


async def test_notifications_reach_an_allowed_webhook(
    receiver: tuple[Receiver, ServerHandle],
) -> None:
    hook, hook_server = receiver
    with serve(frontend={"push_allowed_hosts": ["127.0.0.1"]}) as server:
        client = await client_for(server.url, "JSONRPC", "1.0")
        request = user_message("notify me")
        request.configuration.task_push_notification_config.CopyFrom(
            TaskPushNotificationConfig(url=hook_server.url + "/hook", token="tok-1")
        )
        task = (await send(client, request))[0].task
        assert await asyncio.to_thread(hook.terminal.wait, WAIT)
        mine = [(h, b) for h, b in hook.calls if task.id in str(b)]
        assert mine, hook.calls
        assert all(h.get("x-a2a-notification-token") == "tok-1" for h, _ in mine)
        states = [b["statusUpdate"]["status"]["state"] for _, b in mine if "statusUpdate" in b]
        assert states[-1] == "TASK_STATE_COMPLETED"
        await client.close()


def test_push_can_be_turned_off() -> None:
    with serve(frontend={"push_notifications": False}) as server:
        card = httpx.get(server.url + "/.well-known/agent-card.json").json()
        assert card["capabilities"].get("pushNotifications", False) is False
        answer = set_config(server.url, a_task(server.url), "https://hooks.example.com/x")
        assert answer.json()["error"]["code"] == PUSH_NOT_SUPPORTED


async def notify(server: ServerHandle, target: str, token: str) -> str:
    """Send a message whose task pushes to ``target``; the task id."""
    client = await client_for(server.url, "JSONRPC", "1.0")
    request = user_message("notify me")
    request.configuration.task_push_notification_config.CopyFrom(
        TaskPushNotificationConfig(url=target, token=token)
    )
    task = (await send(client, request))[0].task
    await client.close()
    return str(task.id)


def contacted(listener: socket.socket) -> bool:
    """Whether anyone connected to ``listener`` (a connection waits in its backlog)."""
    listener.setblocking(False)
    try:
        connection, _ = listener.accept()
    except BlockingIOError:
        return False
    connection.close()
    return True


async def test_delivery_connects_to_the_address_the_check_passed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: ``rebind.test`` resolves to the allowed 127.0.0.1 for the push policy's
    check, and to 127.0.0.2 (not allowed) for anyone resolving it afterwards. Both resolvers
    are doubles (there is no DNS server to rebind here); the connections are real."""
    hook = Receiver()
    with running_server(hook.app()) as hook_server, socket.socket() as elsewhere:
        port = urllib.parse.urlsplit(hook_server.url).port
        elsewhere.bind(("127.0.0.2", port))
        elsewhere.listen()
        system_resolver = socket.getaddrinfo

        def rebound(host: Any, *args: Any, **kwargs: Any) -> Any:
            return system_resolver("127.0.0.2" if host == "rebind.test" else host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebound)
        checked: list[str] = []

        async def at_check_time(host: str, port: int) -> list[str]:
            checked.append(host)
            return ["127.0.0.1"] if host == "rebind.test" else await resolve(host, port)

        with serve(frontend={"push_allowed_hosts": ["127.0.0.1/32"]}) as server:
            a2a_frontend(server).push_policy.resolver = at_check_time
            task_id = await notify(server, f"http://rebind.test:{port}/hook", "tok-pin")
            assert await asyncio.to_thread(hook.terminal.wait, WAIT)
        mine = [(h, b) for h, b in hook.calls if task_id in str(b)]
        assert mine and all(h["host"] == f"rebind.test:{port}" for h, _ in mine)
        assert all(h["x-a2a-notification-token"] == "tok-pin" for h, _ in mine)
        assert "rebind.test" in checked
        assert not contacted(elsewhere)


async def test_delivery_ignores_proxies_from_the_environment() -> None:
    """The push client reads no HTTP_PROXY: a proxy would connect where no check looked."""
    hook = Receiver()
    with ExitStack() as stack, socket.socket() as proxy:
        proxy.bind(("127.0.0.1", 0))
        proxy.listen()
        hook_server = stack.enter_context(running_server(hook.app()))
        with pytest.MonkeyPatch.context() as env:  # while the host starts (its client reads it)
            for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
                env.setenv(name, f"http://127.0.0.1:{proxy.getsockname()[1]}")
            for name in ("NO_PROXY", "no_proxy"):
                env.delenv(name, raising=False)
            server = stack.enter_context(serve(frontend={"push_allowed_hosts": ["127.0.0.1"]}))
        task_id = await notify(server, hook_server.url + "/hook", "tok-direct")
        assert await asyncio.to_thread(hook.terminal.wait, WAIT)
        assert any(task_id in str(b) for _, b in hook.calls)
        assert not contacted(proxy)
