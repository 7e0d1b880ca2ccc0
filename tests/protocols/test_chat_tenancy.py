"""Chat Completions with two principals (alice, bob), each with the official openai client and
its own API key: a chat run is one-off (no sandbox, record or history left behind), two
principals' chats share nothing, and 401 / 429 come in OpenAI's error shape."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from agenthost.errors import UnknownRun
from agenthost.events import Principal
from agenthost.testing.server import ServerHandle

from .openai_agents import alice_client as alice_client  # fixtures, re-exported
from .openai_agents import (
    assert_error_shape,
    assert_routes_need_a_key,
    client_of,
    new_gate,
    serve_two,
)
from .openai_agents import bob_client as bob_client
from .openai_agents import two_principals_server as two_principals_server

ALICE = Principal(id="alice")


def say(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


async def _sessions(host: Any) -> int:
    return int(host.sandboxes.describe()["default"].get("sessions", 0))


def test_a_chat_leaves_no_sandbox_behind(server: ServerHandle, alice: OpenAI) -> None:
    """The agent takes a sandbox (the count sees it while the run is held); once the answer has
    ended the sandbox is gone."""
    host = server.app.host
    before = server.call(_sessions(host))
    name = uuid.uuid4().hex
    gate = new_gate(name)
    stream = alice.chat.completions.create(model="sandbox_held", messages=say(name), stream=True)
    with stream:
        chunks = iter(stream)
        assert next(chunks).choices[0].delta.role == "assistant"
        gate.wait_entered()
        assert server.call(_sessions(host)) == before + 1
        gate.open()
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "value=42"
    assert server.call(_sessions(host)) == before
    # non-streaming too
    done = alice.chat.completions.create(model="sandbox_direct", messages=say("5 * 5"))
    assert done.choices[0].message.content == "value=25"
    assert server.call(_sessions(host)) == before


@pytest.mark.parametrize("stream", [False, True])
def test_a_chat_leaves_no_record_or_history(
    server: ServerHandle, alice: OpenAI, stream: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nor framework memory: the agent's adapter is told to forget the one-off session (the
    python adapter keeps none, so the test records the call)."""
    forgotten: list[str] = []

    async def forget_session(session_key: str) -> None:
        forgotten.append(session_key)

    adapter = server.app.host.agents["whoami"].adapter
    monkeypatch.setattr(adapter, "forget_session", forget_session)
    if stream:
        chunks = alice.chat.completions.create(model="whoami", messages=say("x"), stream=True)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        answer = alice.chat.completions.create(model="whoami", messages=say("x"))
        text = answer.choices[0].message.content or ""
    principal, session_key, run_id, _ = text.split(" ")
    assert principal == "alice" and session_key.startswith("alice/")
    host = server.app.host
    assert host.runs.get(run_id, ALICE) is None
    with pytest.raises(UnknownRun):
        server.call(host.runs.record(run_id, ALICE))
    assert server.call(host.store.get_run(run_id)) is None
    assert server.call(host.store.get_messages(session_key)) == []
    assert forgotten == [session_key]


def test_two_principals_chats_share_nothing(alice: OpenAI, bob: OpenAI) -> None:
    set_it = alice.chat.completions.create(
        model="sandbox_direct", messages=say("secret = 41\nsecret")
    )
    assert set_it.choices[0].message.content == "value=41"
    # not even alice's next chat sees it: every chat is a one-off run with a fresh sandbox
    for client in (alice, bob):
        again = client.chat.completions.create(model="sandbox_direct", messages=say("secret"))
        assert again.choices[0].message.content == "value=None"
    mine = alice.chat.completions.create(model="whoami", messages=say("x"), user="bob")
    his = bob.chat.completions.create(model="whoami", messages=say("x"))
    alice_id, alice_session, _, alice_user = str(mine.choices[0].message.content).split(" ")
    bob_id, bob_session, _, _ = str(his.choices[0].message.content).split(" ")
    # ``user`` is metadata: it names bob, the run is still alice's
    assert (alice_id, bob_id, alice_user) == ("alice", "bob", "user=bob")
    assert alice_session.startswith("alice/") and bob_session.startswith("bob/")
    history = alice.chat.completions.create(model="memory", messages=say("hello"))
    assert history.choices[0].message.content == "turn 1: hello"


def test_every_route_needs_a_key(server: ServerHandle) -> None:
    tried = assert_routes_need_a_key(server, "chat")
    assert tried == [
        "POST /v1/chat/completions",
        "GET /v1/models",
        "GET /v1/models/{model_id:path}",
    ]
    nobody = OpenAI(base_url=server.url + "/v1", api_key="sk-wrong", max_retries=0)
    for call in (
        lambda: nobody.chat.completions.create(model="echo", messages=say("x")),
        nobody.models.list,
        lambda: nobody.models.retrieve("echo"),
    ):
        with pytest.raises(openai.AuthenticationError) as info:
            call()
        error = assert_error_shape(info.value.response.json(), 401, info.value.status_code)
        assert error["code"] == "invalid_api_key"


def test_quota_is_a_rate_limit_error() -> None:
    with serve_two(quotas={"max_concurrent_runs": 1}) as server:
        alice, bob = client_of(server, "alice"), client_of(server, "bob")
        name = uuid.uuid4().hex
        gate = new_gate(name)
        held = alice.chat.completions.create(model="gated", messages=say(name), stream=True)
        with held:
            chunks = iter(held)
            next(chunks)
            gate.wait_entered()
            with pytest.raises(openai.RateLimitError) as info:
                alice.chat.completions.create(model="echo", messages=say("x"))
            error = assert_error_shape(info.value.response.json(), 429, info.value.status_code)
            assert error["code"] == "quota_exceeded" and error["type"] == "rate_limit_error"
            assert "max_concurrent_runs" in error["message"]
            echoed = bob.chat.completions.create(model="echo", messages=say("bob"))
            assert echoed.choices[0].message.content == "bob "
            gate.open()
            rest = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            assert rest == "one two"  # the first chunk is the role; the text follows
        answer = alice.chat.completions.create(model="echo", messages=say("again"))
        assert answer.choices[0].message.content == "again "


def test_openapi_describes_chat_and_models(server: ServerHandle) -> None:
    spec = httpx.get(server.url + "/openapi.json", timeout=30).json()
    paths = spec["paths"]
    schemas = spec["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        return schemas[ref.rsplit("/", 1)[1]] if ref else schema

    create = paths["/v1/chat/completions"]["post"]
    body = resolve(create["requestBody"]["content"]["application/json"]["schema"])
    assert {"model", "messages", "stream", "stream_options", "user"} <= set(body["properties"])
    assert "include_usage" in resolve(schemas["ChatStreamOptions"])["properties"]
    answer = create["responses"]["200"]["content"]
    assert "text/event-stream" in answer
    assert {"id", "choices", "usage"} <= set(
        resolve(answer["application/json"]["schema"])["properties"]
    )
    models = paths["/v1/models"]["get"]["responses"]["200"]["content"]["application/json"]
    assert "data" in resolve(models["schema"])["properties"]
    one = paths["/v1/models/{model_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert {"id", "owned_by"} <= set(resolve(one["schema"])["properties"])
    for operation in (create, paths["/v1/models"]["get"], paths["/v1/models/{model_id}"]["get"]):
        assert operation["security"]
