"""The gRPC binding (optional for users: agenthost-a2a[grpc]; grpcio is a dev dependency)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import grpc
import grpc.aio
import pytest
from a2a.types import CancelTaskRequest, GetTaskRequest, TaskState, a2a_pb2_grpc

from agenthost.testing.server import ServerHandle

from .a2a_fixtures import (
    AGENTS,
    WAIT,
    Gate,
    a2a_frontend,
    artifact_text,
    client_for,
    fetch_card,
    send,
    serve,
    streamed_text,
    task_id_of,
    user_message,
)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with serve(
        agents=AGENTS, frontend={"grpc_listen": "127.0.0.1:0", "merge_deltas": False}
    ) as handle:
        yield handle


async def test_cards_list_the_grpc_interfaces_with_each_agents_tenant(server: ServerHandle) -> None:
    port = a2a_frontend(server).grpc_port
    root = await fetch_card(server.url)
    grpc_ifaces = {
        (i.protocol_version, i.url, i.tenant)
        for i in root.supported_interfaces
        if i.protocol_binding == "GRPC"
    }
    url = f"http://127.0.0.1:{port}"
    assert grpc_ifaces == {("1.0", url, ""), ("0.3", url, "")}
    confirm = await fetch_card(server.url + "/a2a/confirm")
    assert {
        (i.protocol_version, i.tenant)
        for i in confirm.supported_interfaces
        if i.protocol_binding == "GRPC"
    } == {("1.0", "confirm")}  # 0.3: default agent only


@pytest.mark.parametrize("version", ["1.0", "0.3"])
async def test_unary_streaming_and_get_over_grpc(server: ServerHandle, version: str) -> None:
    unary = await client_for(server.url, "GRPC", version)
    task = (await send(unary, user_message("over grpc now")))[0].task
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert artifact_text(task) == "over grpc now "
    fetched = await unary.get_task(GetTaskRequest(id=task.id))
    assert fetched.status.state == TaskState.TASK_STATE_COMPLETED

    streaming = await client_for(server.url, "GRPC", version, streaming=True)
    events = await send(streaming, user_message("one two three"))
    assert streamed_text(events) == "one two three "
    assert sum(e.HasField("artifact_update") for e in events) >= 3
    await unary.close()
    await streaming.close()


async def test_the_tenant_picks_the_agent_and_cancel_stops_its_work(server: ServerHandle) -> None:
    confirm = await client_for(server.url + "/a2a/confirm", "GRPC", "1.0")
    task = (await send(confirm, user_message("wipe the disk")))[0].task
    assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED

    gate = Gate()
    gated = await client_for(server.url + "/a2a/gated", "GRPC", "1.0", polling=True)
    running = task_id_of(await send(gated, user_message(gate.key)))
    await gate.wait_entered()
    cancelled = await gated.cancel_task(CancelTaskRequest(id=running))
    assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
    assert await asyncio.to_thread(gate.cancelled.wait, WAIT) and not gate.finished.is_set()
    await confirm.close()
    await gated.close()


async def test_api_keys_are_required_over_grpc_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A2A_TEST_KEY", "k-grpc")
    config = {"grpc_listen": "127.0.0.1:0"}
    with serve(frontend=config, host={"api_keys": [{"env": "A2A_TEST_KEY"}]}) as server:
        port = a2a_frontend(server).grpc_port
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = a2a_pb2_grpc.A2AServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.GetTask(GetTaskRequest(id="x"), timeout=WAIT)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await stub.GetTask(
                    GetTaskRequest(id="x"),
                    metadata=[("authorization", "Bearer k-grpc")],
                    timeout=WAIT,
                )
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND  # past the key check
