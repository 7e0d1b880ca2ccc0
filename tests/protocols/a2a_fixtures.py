"""Shared pieces of the A2A tests: agents, a served host, a2a-sdk clients per binding/version.

The server runs in its own thread and event loop (``running_server``); agents signal the
test through ``threading.Event``s and are released through ``Gate.release()``, which sets an
asyncio event on the server's loop.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from a2a.client import Client, ClientCallContext, ClientConfig, ClientFactory
from a2a.client.auth import AuthInterceptor, CredentialService
from a2a.client.card_resolver import A2ACardResolver
from a2a.client.interceptors import ClientCallInterceptor
from a2a.types import (
    AgentCard,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskState,
)

from agenthost import (
    AgentApp,
    Artifact,
    FilePart,
    InputRequired,
    RunContext,
    RunInput,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
)
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

BINDINGS = ("JSONRPC", "HTTP+JSON")
VERSIONS = ("1.0", "0.3")
WAIT = 15.0  # upper bound on any wait for the server: a hang fails instead of blocking


async def echo(text: str) -> AsyncIterator[str | UsageEvent]:
    """Echoes the text back, word by word, and reports one token per word."""
    words = text.split()
    for word in words:
        yield word + " "
        await asyncio.sleep(0)
    yield UsageEvent(usage=Usage(input_tokens=len(words), output_tokens=len(words)))


async def confirm(input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
    """Asks for a confirmation before answering; the answer comes in the next turn."""
    history = await ctx.history()
    if not history:
        yield f"About to do {input.text!r}. "
        yield InputRequired(prompt="Proceed? (yes/no)", payload={"choices": ["yes", "no"]})
        return
    yield f"you said {input.text} to {history[0].text_content!r}"


async def tools(text: str) -> AsyncIterator[Any]:
    """Calls a tool, makes a file, answers; fails instead when asked to."""
    yield ToolCall(call_id="c1", name="run_python", arguments={"code": "6 * 7"})
    yield ToolResult(call_id="c1", name="run_python", output="42")
    yield Artifact(part=FilePart(name="answer.txt", mime_type="text/plain", bytes=b"42\n"))
    if text == "fail":
        raise ValueError("the tool broke on purpose")
    yield "the answer is 42"


class Gate:
    """An agent that stops at a point until released; records whether it was cancelled there.

    One ``gated`` agent serves every gate: a message's text names its gate (``gate.key``).
    """

    def __init__(self) -> None:
        self.key = f"gate-{uuid.uuid4().hex[:8]}"
        GATES[self.key] = self
        self.entered = threading.Event()
        self.cancelled = threading.Event()
        self.finished = threading.Event()
        self._release: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self) -> AsyncIterator[str]:
        self._loop = asyncio.get_running_loop()
        self._release = asyncio.Event()
        yield "working "
        self.entered.set()
        try:
            await self._release.wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        yield "released"
        self.finished.set()

    def release(self) -> None:
        assert self._loop is not None and self._release is not None
        self._loop.call_soon_threadsafe(self._release.set)

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, WAIT), "the agent never started"


GATES: dict[str, Gate] = {}


async def gated(text: str) -> AsyncIterator[str]:
    """Runs the gate the message names."""
    async for chunk in GATES[text.strip()].run():
        yield chunk


AGENTS = {"echo": echo, "confirm": confirm, "gated": gated, "tools": tools}


async def server_condition(server: ServerHandle, predicate: Callable[[], bool], what: str) -> None:
    """Wait until ``predicate`` holds on the server's loop (checked there, bounded by WAIT).

    For states no response shows yet, e.g. a request the server accepted but holds.
    """

    async def check() -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT
        while not predicate():
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.005)  # polling a condition, bounded by the deadline
        return True

    done = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(check(), server.loop))
    assert await done, f"timed out waiting for {what}"


def a2a_frontend(server: ServerHandle) -> Any:
    return next(f for f in server.app.host.frontends if f.name == "a2a")


def make_app(
    frontend: dict[str, Any] | None = None,
    store: dict[str, Any] | None = None,
    host: dict[str, Any] | None = None,
    agents: dict[str, Any] | None = None,
    quotas: dict[str, Any] | None = None,
) -> AgentApp:
    """An app serving only the a2a frontend, with ``agents`` (name → function)."""
    config = {
        "host": host or {},
        "frontends": {"a2a": frontend or {}},
        "store": store or {"backend": "memory"},
        "quotas": quotas or {},
    }
    app = AgentApp(parse_config(config, "<a2a test>"))
    for name, fn in (agents or {"echo": echo}).items():
        app.agent(name, adapter="python")(fn)
    return app


@contextmanager
def serve(**kwargs: Any) -> Iterator[ServerHandle]:
    with running_server(make_app(**kwargs)) as server:
        yield server


async def fetch_card(url: str, http: httpx.AsyncClient | None = None) -> AgentCard:
    async with httpx.AsyncClient() as own:
        return await A2ACardResolver(http or own, url).get_agent_card()


class _Key(CredentialService):
    """One credential for whatever scheme the card declares."""

    def __init__(self, key: str):
        self.key = key

    async def get_credentials(self, name: str, context: ClientCallContext | None) -> str:
        return self.key


async def client_for(
    url: str,
    binding: str = "JSONRPC",
    version: str = "1.0",
    *,
    streaming: bool = False,
    polling: bool = False,
    headers: dict[str, str] | None = None,
    key: str | None = None,
) -> Client:
    """An a2a-sdk client speaking ``binding`` at protocol ``version`` (the card filtered to it).

    ``key``: the SDK's ``AuthInterceptor`` sends it as the card's security schemes say (a
    Bearer header, or ``authorization`` metadata over gRPC).
    """
    http = httpx.AsyncClient(headers=headers or {}, timeout=WAIT)
    card = await fetch_card(url, http)
    chosen = [
        i
        for i in card.supported_interfaces
        if i.protocol_binding == binding and i.protocol_version == version
    ]
    assert chosen, f"the card offers no {binding} {version} interface"
    del card.supported_interfaces[:]
    card.supported_interfaces.extend(chosen)
    config = ClientConfig(
        streaming=streaming,
        polling=polling,
        supported_protocol_bindings=[binding],
        httpx_client=http,
    )
    if binding == "GRPC":
        import grpc.aio

        # The card's URL is absolute (http://host:port); a channel wants host:port.
        config.grpc_channel_factory = lambda url: grpc.aio.insecure_channel(url.split("://")[-1])
    interceptors: list[ClientCallInterceptor] | None = None
    if key is not None:
        interceptors = [AuthInterceptor(_Key(key))]
    return ClientFactory(config).create(card, interceptors=interceptors)


def user_message(text: str, *, task_id: str = "", context_id: str = "") -> SendMessageRequest:
    message = Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text=text)],
        task_id=task_id,
        context_id=context_id,
    )
    return SendMessageRequest(message=message)


async def send(client: Client, request: SendMessageRequest) -> list[StreamResponse]:
    events = []
    async with asyncio.timeout(WAIT):
        async for event in client.send_message(request):
            events.append(event)
    return events


def task_id_of(events: list[StreamResponse]) -> str:
    for event in events:
        kind = event.WhichOneof("payload")
        if kind == "task":
            return event.task.id
        if kind in ("status_update", "artifact_update"):
            return str(getattr(event, kind).task_id)
    raise AssertionError(f"no task in {events}")


def final_state(events: list[StreamResponse]) -> int:
    state = TaskState.TASK_STATE_UNSPECIFIED
    for event in events:
        kind = event.WhichOneof("payload")
        if kind == "task":
            state = event.task.status.state
        elif kind == "status_update":
            state = event.status_update.status.state
    return state


def streamed_text(events: list[StreamResponse]) -> str:
    """The artifact text a streaming client assembles (append chunks, replace otherwise)."""
    artifacts: dict[str, str] = {}
    for event in events:
        if event.WhichOneof("payload") == "artifact_update":
            update = event.artifact_update
            text = "".join(p.text for p in update.artifact.parts)
            key = update.artifact.artifact_id
            artifacts[key] = (artifacts.get(key, "") if update.append else "") + text
    return "".join(artifacts.values())


def artifact_text(task: Task) -> str:
    return "".join(p.text for a in task.artifacts for p in a.parts)


def rpc(
    url: str, method: str, params: Any = None, *, version: str | None = "1.0", **body: Any
) -> httpx.Response:
    """A raw JSON-RPC call (for what the SDK client would never send)."""
    headers = {"A2A-Version": version} if version else {}
    payload: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method, **body}
    if params is not None:
        payload["params"] = params
    return httpx.post(url, json=payload, headers=headers, timeout=WAIT)
