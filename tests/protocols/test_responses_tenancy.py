# mypy: disable-error-code="union-attr,index"
# (the SDK types outputs and events as wide unions; tests narrow them by asserting `.type`)
"""Responses and conversations belong to their principal: two API keys (alice, bob) on one
server, each with the official openai client. Another principal's id reads as an unknown one;
``store: false`` and DELETE leave nothing readable; 401 and 429 in OpenAI's error shape."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.responses import Response

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
    strict,
)
from .openai_agents import bob_client as bob_client
from .openai_agents import two_principals_server as two_principals_server

ALICE = Principal(id="alice")
BOB = Principal(id="bob")


def error_of(call: Callable[[], Any], kind: type[openai.APIStatusError]) -> dict[str, Any]:
    with pytest.raises(kind) as info:
        call()
    return assert_error_shape(
        info.value.response.json(), info.value.status_code, info.value.status_code
    )


def same_as_unknown(
    call: Callable[[str], Any], theirs: str, kind: type[openai.APIStatusError]
) -> dict[str, Any]:
    """``call`` on another principal's id fails exactly as on an id that never existed."""
    unknown = "resp_" + uuid.uuid4().hex
    got = error_of(lambda: call(theirs), kind)
    expected = error_of(lambda: call(unknown), kind)
    assert got == {**expected, "message": expected["message"].replace(unknown, theirs)}
    return got


def gone(server: ServerHandle, response_id: str, principal: Principal) -> None:
    """Nothing of the run is left: not its events in memory, not its run record."""
    runs = server.app.host.runs
    assert runs.get(response_id, principal) is None
    with pytest.raises(UnknownRun):
        server.call(runs.record(response_id, principal))
    assert server.call(server.app.host.store.get_run(response_id)) is None


def history(server: ServerHandle, session_key: str) -> list[str]:
    messages = server.call(server.app.host.store.get_messages(session_key))
    return [m.text_content for m in messages]


async def _sessions(host: Any) -> int:
    return int(host.sandboxes.describe()["default"].get("sessions", 0))


# ----------------------------------------------------------------------------- ownership


def test_another_principals_response_reads_as_unknown(
    server: ServerHandle, alice: OpenAI, bob: OpenAI
) -> None:
    mine = alice.responses.create(model="echo", input="alice's words")
    theirs = mine.id
    same_as_unknown(bob.responses.retrieve, theirs, openai.NotFoundError)
    same_as_unknown(
        lambda i: list(bob.responses.retrieve(i, stream=True)), theirs, openai.NotFoundError
    )
    same_as_unknown(bob.responses.input_items.list, theirs, openai.NotFoundError)
    same_as_unknown(bob.responses.delete, theirs, openai.NotFoundError)
    same_as_unknown(bob.responses.cancel, theirs, openai.NotFoundError)
    error = same_as_unknown(
        lambda i: bob.responses.create(model="echo", input="x", previous_response_id=i),
        theirs,
        openai.NotFoundError,
    )
    assert error["param"] == "previous_response_id"
    # bob's attempts changed nothing: alice still has her response, whole
    again = alice.responses.retrieve(theirs)
    assert again.model_dump() == mine.model_dump()
    assert [i.content[0].text for i in alice.responses.input_items.list(theirs).data] == [
        "alice's words"
    ]


def test_another_principals_running_response_is_untouchable(
    server: ServerHandle, alice: OpenAI, bob: OpenAI
) -> None:
    """A background response in progress: bob can neither cancel, delete, follow nor continue
    it, and never learns it is busy (no 409)."""
    name = uuid.uuid4().hex
    gate = new_gate(name)
    conversation = "conv-" + uuid.uuid4().hex
    running = alice.responses.create(
        model="gated", input=name, background=True, conversation=conversation
    )
    gate.wait_entered()
    same_as_unknown(bob.responses.cancel, running.id, openai.NotFoundError)
    same_as_unknown(bob.responses.delete, running.id, openai.NotFoundError)
    same_as_unknown(
        lambda i: list(bob.responses.retrieve(i, stream=True)), running.id, openai.NotFoundError
    )
    same_as_unknown(
        lambda i: bob.responses.create(model="echo", input="x", previous_response_id=i),
        running.id,
        openai.NotFoundError,
    )
    # the same conversation id is bob's own conversation: it answers, not 409 conversation_busy
    his = bob.responses.create(model="memory", input="bob here", conversation=conversation)
    assert his.status == "completed" and his.output_text == "turn 1: bob here"
    # alice's run went on untouched
    assert not gate.cancelled.is_set()
    assert alice.responses.retrieve(running.id).status == "in_progress"
    gate.open()
    final = list(alice.responses.retrieve(running.id, stream=True))[-1]
    assert final.type == "response.completed" and final.response.output_text == "one two"


def test_no_branch_error_leaks_another_principals_conversation(alice: OpenAI, bob: OpenAI) -> None:
    """Continuing alice's superseded response would be a 400 unsupported_branch for alice;
    for bob it is the 404 of an unknown id."""
    first = alice.responses.create(model="memory", input="one")
    alice.responses.create(model="memory", input="two", previous_response_id=first.id)
    with pytest.raises(openai.BadRequestError):
        alice.responses.create(model="memory", input="x", previous_response_id=first.id)
    same_as_unknown(
        lambda i: bob.responses.create(model="memory", input="x", previous_response_id=i),
        first.id,
        openai.NotFoundError,
    )


def test_conversation_id_never_joins_another_principals_conversation_or_sandbox(
    alice: OpenAI, bob: OpenAI
) -> None:
    conversation = "conv-" + uuid.uuid4().hex
    alice.responses.create(model="memory", input="I am Alice", conversation=conversation)
    set_it = alice.responses.create(
        model="sandboxed", input="secret = 'alice-41'\nsecret", conversation=conversation
    )
    assert set_it.output[0].outputs[0].logs == "'alice-41'"
    # alice's own next turn sees her variable and her history
    again = alice.responses.create(model="sandboxed", input="secret", conversation=conversation)
    assert again.output[0].outputs[0].logs == "'alice-41'"
    # bob, same conversation id: a sandbox of his own, where the variable does not exist
    his = bob.responses.create(model="sandboxed", input="secret", conversation=conversation)
    strict(Response, his)
    call = his.output[0]
    assert call.type == "code_interpreter_call" and call.status == "failed"
    assert "NameError" in call.outputs[0].logs and "alice-41" not in call.outputs[0].logs
    # and a history of his own: his turn, none of alice's
    memory = bob.responses.create(model="memory", input="who?", conversation=conversation)
    assert memory.output_text == "turn 2: secret | who?"
    ours = alice.responses.create(model="memory", input="me again", conversation=conversation)
    said = ["I am Alice", "secret = 'alice-41'\nsecret", "secret", "me again"]
    assert ours.output_text == "turn 4: " + " | ".join(said)


def test_user_and_safety_identifier_are_metadata(
    server: ServerHandle, alice: OpenAI, bob: OpenAI
) -> None:
    response = alice.responses.create(
        model="whoami", input="x", user="bob", safety_identifier="bob"
    )
    assert response.user == "bob" and response.safety_identifier == "bob"
    principal, session_key, run_id, user = response.output_text.split(" ")
    assert run_id == response.id
    assert principal == "alice" and session_key.startswith("alice/") and user == "user=bob"
    assert server.call(server.app.host.runs.record(response.id, ALICE)).owner == "alice"
    with pytest.raises(openai.NotFoundError):
        bob.responses.retrieve(response.id)


# ----------------------------------------------------------------------------- store: false


def test_store_false_leaves_nothing(
    server: ServerHandle, alice: OpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nor framework memory: the adapter is told to forget the one-off session (the python
    adapter keeps none, so the test records the call)."""
    forgotten: list[str] = []

    async def forget_session(session_key: str) -> None:
        forgotten.append(session_key)

    monkeypatch.setattr(server.app.host.agents["whoami"].adapter, "forget_session", forget_session)
    response = alice.responses.create(model="whoami", input="x", store=False)
    session_key = response.output_text.split(" ")[1]
    gone(server, response.id, ALICE)
    assert history(server, session_key) == []
    assert forgotten == [session_key]
    # streamed: nothing left once the stream has ended
    events = list(alice.responses.create(model="whoami", input="y", store=False, stream=True))
    final = events[-1].response
    assert final.status == "completed"
    gone(server, final.id, ALICE)
    assert history(server, final.output_text.split(" ")[1]) == []


def test_store_false_in_a_conversation_leaves_no_turn(server: ServerHandle, alice: OpenAI) -> None:
    conversation = "conv-" + uuid.uuid4().hex
    alice.responses.create(model="memory", input="one", conversation=conversation)
    secret = alice.responses.create(
        model="memory", input="secret", conversation=conversation, store=False
    )
    assert secret.output_text == "turn 2: one | secret"  # it did see the conversation
    gone(server, secret.id, ALICE)
    assert history(server, ALICE.key(conversation)) == ["one", "turn 1: one"]
    after = alice.responses.create(model="memory", input="three", conversation=conversation)
    assert after.output_text == "turn 2: one | three"


def test_store_false_releases_its_sandbox(server: ServerHandle, alice: OpenAI) -> None:
    """An unstored response without a conversation is one-off: its sandbox goes when it ends."""
    before = server.call(_sessions(server.app.host))
    name = uuid.uuid4().hex
    gate = new_gate(name)
    with alice.responses.create(
        model="sandbox_held", input=name, store=False, stream=True
    ) as stream:
        events = iter(stream)
        assert next(events).type == "response.created"
        gate.wait_entered()
        assert server.call(_sessions(server.app.host)) == before + 1  # the count sees it
        gate.open()
        rest = list(events)
    assert rest[-1].type == "response.completed"
    assert rest[-1].response.output_text == "value=42"
    assert server.call(_sessions(server.app.host)) == before


# ----------------------------------------------------------------------------- delete


def test_delete_erases_the_turn(server: ServerHandle, alice: OpenAI) -> None:
    conversation = "conv-" + uuid.uuid4().hex
    alice.responses.create(model="memory", input="one", conversation=conversation)
    doomed = alice.responses.create(model="memory", input="two", conversation=conversation)
    alice.responses.delete(doomed.id)
    gone(server, doomed.id, ALICE)
    assert history(server, ALICE.key(conversation)) == ["one", "turn 1: one"]
    after = alice.responses.create(model="memory", input="three", conversation=conversation)
    assert after.output_text == "turn 2: one | three"


def test_delete_the_latest_response_continues_from_the_one_before(
    server: ServerHandle, alice: OpenAI
) -> None:
    first = alice.responses.create(model="memory", input="I am Ann")
    second = alice.responses.create(model="memory", input="x", previous_response_id=first.id)
    runs = server.app.host.runs
    server.call(_forget(runs, second.id))  # out of memory: the stored record is what is deleted
    alice.responses.delete(second.id)
    gone(server, second.id, ALICE)
    third = alice.responses.create(model="memory", input="who?", previous_response_id=first.id)
    assert third.output_text == "turn 2: I am Ann | who?"


async def _forget(runs: Any, run_id: str) -> None:
    runs.forget(run_id)


# ----------------------------------------------------------------------------- auth, quotas


def test_every_route_needs_a_key(server: ServerHandle) -> None:
    tried = assert_routes_need_a_key(server, "responses")
    assert len(tried) == 5
    nobody = OpenAI(base_url=server.url + "/v1", api_key="sk-wrong", max_retries=0)
    error = error_of(
        lambda: nobody.responses.create(model="echo", input="x"), openai.AuthenticationError
    )
    assert error["code"] == "invalid_api_key"


def test_quota_is_a_rate_limit_error() -> None:
    with serve_two(quotas={"max_concurrent_runs": 1}) as server:
        alice, bob = client_of(server, "alice"), client_of(server, "bob")
        name = uuid.uuid4().hex
        gate = new_gate(name)
        held = alice.responses.create(model="gated", input=name, background=True)
        gate.wait_entered()
        error = error_of(
            lambda: alice.responses.create(model="echo", input="x"), openai.RateLimitError
        )
        assert error["code"] == "quota_exceeded" and error["type"] == "rate_limit_error"
        assert "max_concurrent_runs" in error["message"]
        # a quota is per principal: bob is not held back by alice's run
        assert bob.responses.create(model="echo", input="bob").output_text == "bob "
        gate.open()
        assert [e.type for e in alice.responses.retrieve(held.id, stream=True)][-1] == (
            "response.completed"
        )
        assert alice.responses.create(model="echo", input="again").output_text == "again "


# ----------------------------------------------------------------------------- OpenAPI


def test_openapi_describes_the_responses_routes(server: ServerHandle) -> None:
    spec = httpx.get(server.url + "/openapi.json", timeout=30).json()
    paths = spec["paths"]
    schemas = spec["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        ref = schema.get("$ref")
        return schemas[ref.rsplit("/", 1)[1]] if ref else schema

    create = paths["/v1/responses"]["post"]
    body = resolve(create["requestBody"]["content"]["application/json"]["schema"])
    assert {"model", "input", "previous_response_id", "conversation", "store"} <= set(
        body["properties"]
    )
    assert "include_usage" not in resolve(schemas["ResponsesStreamOptions"])["properties"]
    for path, method in [
        ("/v1/responses", "post"),
        ("/v1/responses/{response_id}", "get"),
        ("/v1/responses/{response_id}", "delete"),
        ("/v1/responses/{response_id}/cancel", "post"),
        ("/v1/responses/{response_id}/input_items", "get"),
    ]:
        operation = paths[path][method]
        answer = resolve(operation["responses"]["200"]["content"]["application/json"]["schema"])
        assert answer["properties"]["id" if "input_items" not in path else "data"], path
        assert operation["security"], path
    retrieve = paths["/v1/responses/{response_id}"]["get"]
    assert "text/event-stream" in retrieve["responses"]["200"]["content"]
    assert {p["name"] for p in retrieve["parameters"]} == {
        "response_id",
        "stream",
        "starting_after",
    }
