"""Two principals on one host: tasks, contexts and push configs are their owner's alone, on
JSON-RPC, HTTP+JSON and gRPC; the gate's refusals and quota overruns come back as A2A errors.

alice and bob each hold an API key (``host.api_keys`` mapped to principals); every client is
the official a2a-sdk client, sending its key as the card's security scheme says.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import grpc
import grpc.aio
import httpx
import pytest
from a2a.compat.v0_3 import a2a_v0_3_pb2, a2a_v0_3_pb2_grpc
from a2a.types import (
    CancelTaskRequest,
    DeleteTaskPushNotificationConfigRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTaskPushNotificationConfigsRequest,
    ListTasksRequest,
    SubscribeToTaskRequest,
    TaskPushNotificationConfig,
    TaskState,
    a2a_pb2_grpc,
)
from a2a.utils.errors import TaskNotFoundError

from agenthost.testing.server import ServerHandle
from agenthost_a2a.endpoint import rest_paths

from .a2a_fixtures import (
    AGENTS,
    WAIT,
    Gate,
    a2a_frontend,
    artifact_text,
    client_for,
    send,
    serve,
    server_condition,
    task_id_of,
    user_message,
)

KEYS = {"alice": "key-alice-1", "bob": "key-bob-2"}
HOST = {"api_keys": [{"env": "A2A_KEY_ALICE", "principal": "alice"},
                     {"env": "A2A_KEY_BOB", "principal": "bob"}]}  # fmt: skip
BINDINGS = ("JSONRPC", "HTTP+JSON", "GRPC")
HOOK = "http://127.0.0.1:9/hook"  # allowed below; nothing listens (deliveries fail at once)


def two_principals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A2A_KEY_ALICE", KEYS["alice"])
    monkeypatch.setenv("A2A_KEY_BOB", KEYS["bob"])


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    frontend = {"grpc_listen": "127.0.0.1:0", "push_allowed_hosts": ["127.0.0.1/32"]}
    with pytest.MonkeyPatch.context() as mp:
        two_principals(mp)
        with serve(agents=AGENTS, host=HOST, frontend=frontend) as handle:
            yield handle


async def as_(who: str, server: ServerHandle, binding: str, agent: str = "gated", **kw: Any) -> Any:
    return await client_for(f"{server.url}/a2a/{agent}", binding, "1.0", key=KEYS[who], **kw)


async def not_found(call: Any) -> str:
    """The call fails as for a task that does not exist; its message."""
    with pytest.raises(TaskNotFoundError) as refused:
        async with asyncio.timeout(WAIT):
            result = await call
            if hasattr(result, "__aiter__"):
                async for _ in result:
                    pass
    return str(refused.value)


@pytest.mark.parametrize("binding", BINDINGS)
async def test_bob_cannot_reach_alices_task(server: ServerHandle, binding: str) -> None:
    alice = await as_("alice", server, binding, polling=True)
    bob = await as_("bob", server, binding, streaming=True)
    gate = Gate()
    task_id = task_id_of(await send(alice, user_message(gate.key)))
    await gate.wait_entered()
    mine = await alice.create_task_push_notification_config(
        TaskPushNotificationConfig(task_id=task_id, url=HOOK, token="alice-token")
    )
    assert mine.id == task_id  # no id given: the task id, in alice's namespace only

    unknown = await not_found(bob.get_task(GetTaskRequest(id="no-such-task")))
    assert await not_found(bob.get_task(GetTaskRequest(id=task_id))) == unknown
    await not_found(bob.cancel_task(CancelTaskRequest(id=task_id)))

    async def subscribe() -> None:
        async for _ in bob.subscribe(SubscribeToTaskRequest(id=task_id)):
            pass

    await not_found(subscribe())

    async def continue_it() -> None:
        await send(bob, user_message("let me in", task_id=task_id))

    await not_found(continue_it())
    await not_found(
        bob.create_task_push_notification_config(
            TaskPushNotificationConfig(task_id=task_id, url=HOOK, token="bob-token")
        )
    )
    await not_found(
        bob.get_task_push_notification_config(
            GetTaskPushNotificationConfigRequest(task_id=task_id, id=task_id)
        )
    )
    await not_found(
        bob.list_task_push_notification_configs(
            ListTaskPushNotificationConfigsRequest(task_id=task_id)
        )
    )
    await not_found(
        bob.delete_task_push_notification_config(
            DeleteTaskPushNotificationConfigRequest(task_id=task_id, id=task_id)
        )
    )
    listed = await bob.list_tasks(ListTasksRequest())
    assert task_id not in {t.id for t in listed.tasks}

    # alice's task ran on undisturbed, with her config as she set it.
    assert not gate.cancelled.is_set()
    configs = await alice.list_task_push_notification_configs(
        ListTaskPushNotificationConfigsRequest(task_id=task_id)
    )
    assert [(c.id, c.url, c.token) for c in configs.configs] == [(task_id, HOOK, "alice-token")]
    assert task_id in {t.id for t in (await alice.list_tasks(ListTasksRequest())).tasks}
    gate.release()
    assert await asyncio.to_thread(gate.finished.wait, WAIT)
    await alice.close()
    await bob.close()


@pytest.mark.parametrize("binding", BINDINGS)
async def test_a_context_id_of_another_principal_starts_a_separate_conversation(
    server: ServerHandle, binding: str
) -> None:
    alice = await as_("alice", server, binding, agent="confirm")
    bob = await as_("bob", server, binding, agent="confirm")
    first = (await send(alice, user_message("alice's secret plan")))[0].task
    assert first.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    context_id = first.context_id

    # bob names alice's context: the agent sees no history (a first turn), not hers.
    theirs = (await send(bob, user_message("bob's errand", context_id=context_id)))[0].task
    assert theirs.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    said = artifact_text(theirs)
    assert said.startswith("About to do") and "bob's errand" in said and "secret" not in said

    # alice's conversation goes on with her own history only.
    done = (await send(alice, user_message("yes", task_id=first.id)))[0].task
    assert artifact_text(done).endswith('you said yes to "alice\'s secret plan"')
    mine = await alice.list_tasks(ListTasksRequest(context_id=context_id))
    assert {t.id for t in mine.tasks} == {first.id}
    others = await bob.list_tasks(ListTasksRequest(context_id=context_id))
    assert {t.id for t in others.tasks} == {theirs.id}
    await alice.close()
    await bob.close()


def routes_of(prefix: str) -> list[tuple[str, str]]:
    """Every A2A route below ``prefix`` but the card: JSON-RPC and each HTTP+JSON path."""
    out = [("POST", prefix or "/")]
    for path, methods in rest_paths(True):
        concrete = path.replace("{id}", "t1").replace("{push_id}", "p1")
        out += [(m, prefix + concrete) for m in methods if m != "HEAD"]
    return out


async def test_every_route_but_the_cards_needs_credentials(server: ServerHandle) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as http:
        for card in ("/.well-known/agent-card.json", "/a2a/echo/.well-known/agent-card.json"):
            answer = await http.get(card)
            assert answer.status_code == 200, card
            assert answer.json()["securitySchemes"]["bearer"]  # it says how to get in
        for prefix in ("", "/a2a/echo"):
            for method, path in routes_of(prefix):
                answer = await http.request(method, path, headers={"A2A-Version": "1.0"})
                assert answer.status_code == 401, (method, path, answer.text)
                assert answer.headers["www-authenticate"].startswith("Bearer")
                error = answer.json()["error"]
                if method == "POST" and path in ("/", "/a2a/echo"):  # JSON-RPC
                    assert answer.json()["jsonrpc"] == "2.0" and error["code"] == -32000
                    assert error["data"][0]["reason"] == "INVALID_API_KEY"
                else:
                    assert (error["code"], error["status"]) == (401, "UNAUTHENTICATED")
                assert "Authorization" in error["message"]
        wrong = await http.post("/a2a/echo/", headers={"Authorization": "Bearer nope"}, json={})
        assert wrong.status_code == 401 and wrong.json()["jsonrpc"] == "2.0"
        assert "API key" in wrong.json()["error"]["message"]

    port = a2a_frontend(server).grpc_port
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        calls = [
            a2a_pb2_grpc.A2AServiceStub(channel).GetTask(GetTaskRequest(id="t1"), timeout=WAIT),
            a2a_v0_3_pb2_grpc.A2AServiceStub(channel).GetTask(
                a2a_v0_3_pb2.GetTaskRequest(name="tasks/t1"), timeout=WAIT
            ),
        ]
        for call in calls:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.fixture(scope="module")
def one_run_each() -> Iterator[ServerHandle]:
    frontend = {"grpc_listen": "127.0.0.1:0"}
    with pytest.MonkeyPatch.context() as mp:
        two_principals(mp)
        with serve(
            agents=AGENTS, host=HOST, frontend=frontend, quotas={"max_concurrent_runs": 1}
        ) as handle:
            yield handle


async def test_a_quota_overrun_is_a_429_in_each_bindings_shape(one_run_each: ServerHandle) -> None:
    server = one_run_each
    alice = await as_("alice", server, "JSONRPC", polling=True)
    gate = Gate()
    task_id_of(await send(alice, user_message(gate.key)))
    await gate.wait_entered()
    headers = {"A2A-Version": "1.0", "Authorization": f"Bearer {KEYS['alice']}"}
    message = {"messageId": "m-over", "role": "ROLE_USER", "parts": [{"text": "one more"}]}
    async with httpx.AsyncClient(base_url=server.url + "/a2a/echo", timeout=WAIT) as http:
        for method in ("SendMessage", "SendStreamingMessage"):
            body = {"jsonrpc": "2.0", "id": 41, "method": method, "params": {"message": message}}
            answer = await http.post("/", json=body, headers=headers)
            assert answer.status_code == 429, answer.text
            assert answer.json()["id"] == 41
            error = answer.json()["error"]
            assert error["code"] == -32000 and "max_concurrent_runs = 1" in error["message"]
            info = error["data"][0]
            assert info["reason"] == "QUOTA_EXCEEDED"
            assert info["metadata"] == {"limit": "max_concurrent_runs", "value": "1"}
        for path in ("/message:send", "/message:stream"):
            answer = await http.post(path, json={"message": message}, headers=headers)
            assert answer.status_code == 429, answer.text
            error = answer.json()["error"]
            assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED")
            assert error["details"][0]["metadata"]["limit"] == "max_concurrent_runs"

    grpc_alice = await as_("alice", server, "GRPC", agent="echo")
    with pytest.raises(Exception, match="max_concurrent_runs = 1") as refused:
        await send(grpc_alice, user_message("over grpc"))
    cause = refused.value.__cause__
    assert isinstance(cause, grpc.aio.AioRpcError)
    assert cause.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    # Refused requests leave no task behind; the quota is alice's: bob's runs go on.
    echo = await as_("alice", server, "JSONRPC", agent="echo")
    assert (await echo.list_tasks(ListTasksRequest())).tasks == []
    bob = await as_("bob", server, "HTTP+JSON", agent="echo")
    answer = (await send(bob, user_message("bob is fine")))[0].task
    assert answer.status.state == TaskState.TASK_STATE_COMPLETED

    gate.release()
    assert await asyncio.to_thread(gate.finished.wait, WAIT)
    for client in (alice, echo, bob, grpc_alice):
        await client.close()


async def test_a_refused_continuation_leaves_the_task_waiting_for_input(
    one_run_each: ServerHandle,
) -> None:
    server = one_run_each
    confirm = await as_("alice", server, "HTTP+JSON", agent="confirm")
    task = (await send(confirm, user_message("deploy")))[0].task
    assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED

    gated = await as_("alice", server, "JSONRPC", polling=True)
    gate = Gate()
    task_id_of(await send(gated, user_message(gate.key)))
    await gate.wait_entered()
    with pytest.raises(Exception, match="429"):
        await send(confirm, user_message("yes", task_id=task.id))
    waiting = await confirm.get_task(GetTaskRequest(id=task.id))
    assert waiting.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    assert "max_concurrent_runs" in "".join(p.text for p in waiting.status.message.parts)

    gate.release()
    await runs_ended(server)
    done = (await send(confirm, user_message("yes", task_id=task.id)))[0].task
    assert done.status.state == TaskState.TASK_STATE_COMPLETED
    await gated.close()
    await confirm.close()


async def runs_ended(server: ServerHandle) -> None:
    """Once the held run has ended, the quota is free again."""
    await server_condition(server, lambda: not server.app.host.runs.active(), "runs to end")


async def test_the_rate_limit_is_a_429_in_each_bindings_shape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    two_principals(monkeypatch)
    frontend = {"grpc_listen": "127.0.0.1:0"}
    quotas = {"requests_per_minute": 1}
    with serve(host=HOST, frontend=frontend, quotas=quotas) as server:
        headers = {"A2A-Version": "1.0", "Authorization": f"Bearer {KEYS['alice']}"}
        body = {"jsonrpc": "2.0", "id": 3, "method": "GetTask", "params": {"id": "t1"}}
        async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as http:
            first = await http.post("/", json=body, headers=headers)
            assert first.json()["error"]["code"] == -32001  # admitted: an unknown task
            rpc_limited = await http.post("/", json=body, headers=headers)
            rest_limited = await http.get("/tasks/t1", headers=headers)
        assert rpc_limited.status_code == 429 and int(rpc_limited.headers["retry-after"]) >= 1
        error = rpc_limited.json()["error"]
        assert error["code"] == -32000 and error["data"][0]["reason"] == "RATE_LIMIT_EXCEEDED"
        assert "requests_per_minute = 1" in error["message"]
        assert rest_limited.status_code == 429
        assert rest_limited.json()["error"]["status"] == "RESOURCE_EXHAUSTED"

        port = a2a_frontend(server).grpc_port
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await a2a_pb2_grpc.A2AServiceStub(channel).GetTask(
                    GetTaskRequest(id="t1"),
                    metadata=[("authorization", f"Bearer {KEYS['alice']}")],
                    timeout=WAIT,
                )
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
