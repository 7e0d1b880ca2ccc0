"""Agents, servers, fixtures and strict checks shared by the Responses and Chat Completions tests.

The agents are plain functions served by the built-in ``python`` adapter. A test module gets
the ``server``, ``client`` and ``aclient`` fixtures by importing ``server_fixture as
server_fixture`` (and so on: the alias marks a re-export). Every body and streamed event is
validated with the openai SDK's own pydantic types on the raw JSON (the client itself is
lenient): a missing required field fails the test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from openai import AsyncOpenAI, OpenAI
from pydantic import BaseModel, TypeAdapter
from starlette.routing import Route

from agenthost import (
    AgentApp,
    Artifact,
    DataPart,
    FilePart,
    InputRequired,
    ReasoningDelta,
    RunContext,
    RunInput,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
)
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server
from tests.core.agents import echo, tokens  # the same agents the core tests serve

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class Gate:
    """Holds an agent at a point: the test sees it arrive, and whether code after it ran."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.cancelled = threading.Event()
        self.release: asyncio.Event | None = None  # created on the server's loop
        self.loop: asyncio.AbstractEventLoop | None = None
        self.after = False

    def wait_entered(self, timeout: float = 20) -> None:
        assert self.entered.wait(timeout), "the agent never reached the gate"

    def open(self) -> None:
        """Let the agent go on (from the test's thread)."""
        assert self.loop is not None and self.release is not None
        self.loop.call_soon_threadsafe(self.release.set)

    async def hold(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.release = asyncio.Event()
        self.entered.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        self.after = True


GATES: dict[str, Gate] = {}


def new_gate(key: str) -> Gate:
    GATES[key] = gate = Gate()
    return gate


# ----------------------------------------------------------------------------- agents


async def memory(input: RunInput, ctx: RunContext) -> AsyncIterator[str]:
    """Says which turn of the session this is and every user message so far."""
    history = await ctx.history()
    said = [m.text_content for m in history if m.role == "user"] + [input.text]
    yield f"turn {len(said)}: " + " | ".join(said)


async def instructed(input: RunInput) -> AsyncIterator[str]:
    yield f"[{input.instructions}] {input.text}"


async def parts(input: RunInput) -> AsyncIterator[str]:
    """Describes every message and part it was given."""
    out = []
    for message in input.messages:
        for part in message.parts:
            if isinstance(part, TextPart):
                out.append(f"{message.role}:text:{part.text}")
            elif isinstance(part, FilePart):
                size = len(part.bytes) if part.bytes is not None else part.uri
                out.append(f"{message.role}:file:{part.mime_type}:{part.name}:{size}")
    yield "; ".join(out)


async def tools(text: str) -> AsyncIterator[Any]:
    """Thinks, calls a lookup tool and a Python run (its own tools), then answers."""
    yield ReasoningDelta(text="The user wants ")
    yield ReasoningDelta(text="a lookup.")
    yield "Let me look. "
    yield ToolCall(call_id="c1", name="lookup", arguments={"q": text})
    yield ToolResult(call_id="c1", output={"hits": 3})
    yield ToolCall(call_id="c2", name="run_python", arguments={"code": "print('hi')\n6*7"})
    yield Artifact(part=FilePart(name="plot.png", mime_type="image/png", bytes=PNG), call_id="c2")
    yield ToolResult(call_id="c2", output={"stdout": "hi\n", "value": "42", "error": None})
    yield ToolCall(call_id="c3", name="fetch", arguments={"url": "x"})
    yield ToolResult(call_id="c3", output="unreachable", is_error=True)
    yield "Found 3."
    yield UsageEvent(usage=Usage(input_tokens=5, output_tokens=7, total_tokens=12))


async def artifacts(text: str) -> AsyncIterator[Any]:
    yield "Here: "
    yield Artifact(part=DataPart(data={"rows": 2}))
    yield Artifact(part=FilePart(name="dot.png", mime_type="image/png", bytes=PNG))


async def asks(text: str) -> AsyncIterator[Any]:
    """Needs more input: asks which city."""
    yield InputRequired(prompt="Which city?")


async def boom(text: str) -> AsyncIterator[str]:
    yield "partial "
    raise ValueError("kaboom")


async def gated(text: str) -> AsyncIterator[Any]:
    """Streams, then waits at the gate named by its input (a stand-in for slow work)."""
    gate = GATES[text]
    yield "one "
    yield ToolCall(call_id="w1", name="long_job", arguments={})
    await gate.hold()
    yield ToolResult(call_id="w1", output="ok")
    yield "two"


async def sandboxed(text: str) -> AsyncIterator[Any]:
    """Runs its input as Python with the neutral ``run_python`` tool (the session's sandbox)."""
    from agenthost.sandbox.tools import run_python

    yield ToolCall(call_id="py1", name="run_python", arguments={"code": text})
    output = await run_python(text, timeout=30)
    yield ToolResult(call_id="py1", output=str(output), is_error=getattr(output, "is_error", False))
    yield "ran it"


async def sandbox_direct(text: str, ctx: RunContext) -> AsyncIterator[Any]:
    """Runs its input in ``ctx.sandbox()`` and reports the result's fields."""
    yield ToolCall(call_id="py1", name="run_python", arguments={"code": text})
    sandbox = await ctx.sandbox()
    result = await sandbox.run_python(text, timeout=30)
    error = None if result.error is None else f"{result.error.type}: {result.error.message}"
    output = {"stdout": result.stdout, "value": result.value, "error": error}
    yield ToolResult(call_id="py1", output=output, is_error=error is not None)
    yield f"value={result.value}"


async def whoami(input: RunInput, ctx: RunContext) -> AsyncIterator[str]:
    """Says whose run this is, its session key, its run id and the body's ``user``."""
    yield f"{ctx.principal.id} {ctx.session_id} {ctx.run_id} user={input.user_id}"


async def sandbox_held(text: str, ctx: RunContext) -> AsyncIterator[str]:
    """Takes its session's sandbox, then waits at the gate named by its input."""
    sandbox = await ctx.sandbox()
    result = await sandbox.run_python("6 * 7", timeout=30)
    await GATES[text].hold()
    yield f"value={result.value}"


AGENTS = {
    "echo": echo,
    "tokens": tokens,
    "memory": memory,
    "instructed": instructed,
    "parts": parts,
    "tools": tools,
    "artifacts": artifacts,
    "asks": asks,
    "boom": boom,
    "gated": gated,
    "sandboxed": sandboxed,
    "sandbox_direct": sandbox_direct,
    "whoami": whoami,
    "sandbox_held": sandbox_held,
}


def make_app(
    host: dict[str, Any] | None = None,
    store: dict[str, Any] | None = None,
    quotas: dict[str, Any] | None = None,
) -> AgentApp:
    """An app serving every test agent over the Responses and Chat frontends."""
    config = parse_config(
        {
            "host": host or {},
            "frontends": {"responses": {}, "chat": {}},
            "store": store or {"backend": "memory"},
            "quotas": quotas or {},
        },
        "<openai tests>",
    )
    app = AgentApp(config)
    for name, fn in AGENTS.items():
        app.host.add_agent(name, fn, adapter="python")
    return app


@contextmanager
def serve(
    host: dict[str, Any] | None = None,
    store: dict[str, Any] | None = None,
    quotas: dict[str, Any] | None = None,
) -> Iterator[ServerHandle]:
    with running_server(make_app(host, store, quotas)) as server:
        yield server


# Two principals, each with its own API key (tests/protocols/test_*_tenancy.py).
KEYS = {"alice": "sk-alice-" + "a" * 24, "bob": "sk-bob-" + "b" * 24}
TWO_KEYS = {
    "api_keys": [
        {"env": "AGENTHOST_TEST_KEY_ALICE", "principal": "alice"},
        {"env": "AGENTHOST_TEST_KEY_BOB", "principal": "bob"},
    ]
}


@contextmanager
def serve_two(quotas: dict[str, Any] | None = None) -> Iterator[ServerHandle]:
    """A server that knows alice's and bob's keys (and no other)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AGENTHOST_TEST_KEY_ALICE", KEYS["alice"])
        env.setenv("AGENTHOST_TEST_KEY_BOB", KEYS["bob"])
        with serve(host=TWO_KEYS, quotas=quotas) as server:
            yield server


def client_of(server: ServerHandle, who: str) -> OpenAI:
    return OpenAI(base_url=server.url + "/v1", api_key=KEYS[who], max_retries=0)


def assert_routes_need_a_key(server: ServerHandle, frontend: str) -> list[str]:
    """Every route of ``frontend``, called with no key, a wrong key and a non-ASCII one: a 401
    in OpenAI's error shape. Returns the routes tried."""
    [front] = [f for f in server.app.host.frontends if f.name == frontend]
    refused: list[list[tuple[bytes, bytes]]] = [
        [],
        [(b"authorization", b"Bearer sk-wrong")],
        [(b"authorization", "Bearer sk-\u00e9t\u00e9".encode())],
    ]
    tried = []
    for route in front.routes():
        assert isinstance(route, Route)
        path = re.sub(r"{[^}]+}", "x", route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            for headers in refused:
                got = httpx.request(method, server.url + path, headers=headers, json={}, timeout=30)
                error = assert_error_shape(got.json(), 401, got.status_code)
                assert error["code"] == "invalid_api_key", (method, path, error)
            tried.append(f"{method} {route.path}")
    return tried


@pytest.fixture(scope="module", name="server")
def server_fixture() -> Iterator[ServerHandle]:
    """One server for the whole test module, every agent over both frontends."""
    with serve() as handle:
        yield handle


@pytest.fixture(name="client")
def client_fixture(server: ServerHandle) -> OpenAI:
    return OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)


@pytest.fixture(name="aclient")
def aclient_fixture(server: ServerHandle) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)


async def post_and_go_away(url: str, body: dict[str, Any], gate: Gate) -> None:
    """POST ``body`` without streaming, and close the connection once the agent is at ``gate``."""
    async with httpx.AsyncClient(timeout=30) as http:
        request = asyncio.ensure_future(http.post(url, json=body))
        await asyncio.to_thread(gate.wait_entered)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request


def run_of(server: ServerHandle, run_id: str) -> Any:
    """The run's final record, waiting (on the server's loop) for it to end."""
    runs = server.app.host.runs
    run = runs.get(run_id)
    if run is None:  # already finished and dropped from memory: its stored record
        return server.call(runs.record(run_id))
    return server.call(run.wait())


# ----------------------------------------------------------------------------- strict checks


def strict(model: type[BaseModel] | TypeAdapter[Any], data: Any) -> Any:
    """Validate raw JSON (a dict, or an SDK object's own fields) with an SDK type."""
    if isinstance(data, BaseModel):
        # exclude_unset: exactly the fields the server sent, so a missing one fails here
        data = data.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(model, TypeAdapter):
        return model.validate_python(data)
    return model.model_validate(data)


def assert_error_shape(body: Any, status: int, response_status: int) -> dict[str, Any]:
    """An OpenAI error body: exactly message, type, param, code."""
    assert response_status == status, body
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


def sse_events(
    url: str, body: dict[str, Any], *, method: str = "POST", headers: dict[str, str] | None = None
) -> list[tuple[str | None, str]]:
    """(event name, data) of every SSE frame of a raw request."""
    frames: list[tuple[str | None, str]] = []
    with httpx.stream(
        method, url, json=body if method == "POST" else None, headers=headers, timeout=30
    ) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        event: str | None = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                frames.append((event, line[6:]))
                event = None
    return frames


def dumps(value: Any) -> str:
    return json.dumps(value)


def require_engines() -> bool:
    return os.environ.get("AGENTHOST_REQUIRE_ENGINES") == "1"


# Fixtures of the two-principal tenancy tests (Responses and Chat): a module's test server
# holding alice's and bob's keys, and an official client for each.


@pytest.fixture(scope="module", name="server")
def two_principals_server() -> Iterator[ServerHandle]:
    with serve_two() as handle:
        yield handle


@pytest.fixture(name="alice")
def alice_client(server: ServerHandle) -> OpenAI:
    return client_of(server, "alice")


@pytest.fixture(name="bob")
def bob_client(server: ServerHandle) -> OpenAI:
    return client_of(server, "bob")
