"""Checks the end-to-end tests of every framework adapter share.

Each framework's test module keeps its own test names and passes its agents, targets and
expected texts to these checks; ``langgraph_http`` keeps the native SSE client helpers.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from a2a.client import Client, ClientConfig, ClientFactory
from a2a.client.card_resolver import A2ACardResolver
from a2a.types import Message, Part, Role, SendMessageRequest, Task, TaskState
from openai import OpenAI
from openai.types.chat import ChatCompletionMessageParam
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

from agenthost import AgentApp, Host
from agenthost.cli import target_config
from agenthost.config import parse_config
from agenthost.testing.server import ServerHandle, running_server

from .langgraph_http import of, output_text, run_native, sse_events


def serving(config: dict[str, Any]) -> Callable[[], Iterator[ServerHandle]]:
    """A module-scoped ``server`` fixture serving ``config``: ``server = serving(CONFIG)``."""

    @pytest.fixture(scope="module")
    def server() -> Iterator[ServerHandle]:
        with running_server(AgentApp(parse_config(config, "<test>"))) as handle:
            yield handle

    return server


def serving_example(target: str) -> Callable[[], Iterator[ServerHandle]]:
    """An ``example_server`` fixture serving ``target`` the way ``agenthost serve`` does."""

    @pytest.fixture
    def example_server() -> Iterator[ServerHandle]:
        host = Host(target_config(target, None, None))
        with running_server(AgentApp(host=host)) as server:
            yield server

    return example_server


# --- A2A, through the official a2a-sdk client (JSON-RPC, 1.0) ---


async def client_for(url: str) -> Client:
    http = httpx.AsyncClient(timeout=60)
    card = await A2ACardResolver(http, url).get_agent_card()
    config = ClientConfig(
        streaming=False, supported_protocol_bindings=["JSONRPC"], httpx_client=http
    )
    return ClientFactory(config).create(card)


async def send(client: Client, text: str, task: Task | None = None) -> Task:
    message = Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text=text)],
        task_id=task.id if task else "",
        context_id=task.context_id if task else "",
    )
    async with asyncio.timeout(60):
        events = [e async for e in client.send_message(SendMessageRequest(message=message))]
    assert events and events[-1].WhichOneof("payload") == "task", events
    return events[-1].task


async def send_in_context(client: Client, text: str, context_id: str) -> Task:
    """A new task in an existing context (the same session); its last event's task."""
    message = Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(text=text)],
        context_id=context_id,
    )
    async with asyncio.timeout(60):
        events = [e async for e in client.send_message(SendMessageRequest(message=message))]
    return events[-1].task


def text_of(task: Task) -> str:
    return "".join(p.text for a in task.artifacts for p in a.parts)


async def check_a2a_task_completes(url: str, text: str, ending: str) -> None:
    """One message is one completed task whose artifacts end with ``ending``."""
    client = await client_for(url)
    task = await send(client, text)
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert text_of(task).endswith(ending)
    await client.close()


async def check_a2a_input_required_then_resumed(
    url: str, text: str, question: str, reply: str, answer: str, *, answer_ends: bool = False
) -> None:
    """The task asks (``question`` in its status), and ``reply`` completes the same task.

    The completed task's text contains ``answer`` (ends with it, if ``answer_ends``).
    """
    client = await client_for(url)
    asked = await send(client, text)
    assert asked.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
    assert question in asked.status.message.parts[0].text
    done = await send(client, reply, asked)
    assert done.id == asked.id
    assert done.status.state == TaskState.TASK_STATE_COMPLETED
    if answer_ends:
        assert text_of(done).endswith(answer)
    else:
        assert answer in text_of(done)
    await client.close()


# --- the native SSE API ---


def check_example_counts_words(events: list[dict[str, Any]]) -> None:
    """The example counted "how many words is this" with ``run_python``, streaming text."""
    types = [e["type"] for e in events]
    assert types[0] == "run.started" and types[-1] == "run.completed"
    [call] = of(events, "tool.call")
    assert call["name"] == "run_python"  # in the session's sandbox
    assert call["arguments"] == {"code": "len('how many words is this'.split())"}
    [result] = of(events, "tool.result")
    assert result["call_id"] == call["call_id"] and result["output"] == "5"
    assert types.index("tool.call") < types.index("tool.result")
    assert len(of(events, "message.delta")) > 2
    assert output_text(events) == "Let me count.Your message has 5 words."


def check_sandbox_tools_by_name(sandbox_tools: Callable[..., list[Any]]) -> None:
    """An adapter's ``sandbox_tools()``: all five by default, and an unknown name refused."""
    assert [t.name for t in sandbox_tools()] == [
        "run_python",
        "run_shell",
        "read_file",
        "write_file",
        "list_files",
    ]
    with pytest.raises(ValueError, match="no sandbox tool named"):
        sandbox_tools(["run_ruby"])


def waiting_tool(
    state: dict[str, Any], doc: str = "Wait for a number of seconds."
) -> Callable[[int], Coroutine[Any, Any, str]]:
    """A ``wait_for(seconds)`` tool that waits until cancelled, recording it in ``state``."""

    async def wait_for(seconds: int) -> str:
        state["started"] = True
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            state["cancelled"] = True
            raise
        state["finished"] = True
        return "waited"

    wait_for.__doc__ = doc
    return wait_for


def check_run_python_counted_words(events: list[dict[str, Any]]) -> None:
    """One ``run_python`` call counted "how many words is this", without error, streamed."""
    [call] = of(events, "tool.call")
    assert call["name"] == "run_python"
    assert call["arguments"] == {"code": "len('how many words is this'.split())"}
    [result] = of(events, "tool.result")
    assert result["call_id"] == call["call_id"]
    assert (result["output"], result["is_error"]) == ("5", False)
    assert len(of(events, "message.delta")) > 2
    assert output_text(events) == "Let me count.Your message has 5 words."


def check_cancel_stops_the_tool(
    agent: Any,
    state: dict[str, Any],
    *,
    timeout: float = 30,
    code_checked: bool = True,
    status_checked: bool = False,
) -> None:
    """Cancelling at the tool call cancels the run and the tool (``state`` records it)."""
    app = AgentApp(parse_config({"frontends": {"native": {}}}, "<test>"))
    app.host.add_agent("slow", agent)
    with (
        running_server(app) as server,
        httpx.Client(base_url=server.url, timeout=timeout) as client,
    ):
        seen: list[dict[str, Any]] = []
        with client.stream("POST", "/agents/slow/runs", json={"input": "go"}) as response:
            run_id = response.headers["x-run-id"]
            for event in sse_events(response):
                seen.append(event)
                if event["type"] == "tool.call":
                    cancelled = client.post(f"/runs/{run_id}/cancel")
                    if code_checked:
                        assert cancelled.status_code == 200
                    assert cancelled.json()["status"] == "cancelled"
        assert seen[-1]["type"] == "run.cancelled"
        if status_checked:
            assert client.get(f"/runs/{run_id}").json()["status"] == "cancelled"
    assert state == {"started": True, "cancelled": True}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_serve_needs_no_other_configuration(
    tmp_path: Path, target: str, agent: str, *, deadline_s: float = 30, timeout: float = 30
) -> None:
    """The real CLI in a subprocess: ``agenthost serve <target>`` and one run of ``agent``."""
    port = _free_port()
    command = [sys.executable, "-m", "agenthost.cli", "serve", target]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=tmp_path,  # no agenthost.toml there: nothing but the target
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + deadline_s
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=timeout) as client:
            while True:  # poll readiness, bounded by the deadline
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not become ready"
                time.sleep(0.05)
            events = run_native(client, agent, "count these four words", "s1")
        assert output_text(events) == "Let me count.Your message has 4 words."
    finally:
        process.terminate()
        process.wait(10)


# --- OpenAI Chat Completions and Responses, through the official openai client ---


def openai_client(server: ServerHandle) -> OpenAI:
    return OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0, timeout=60)


def openai_fixture() -> Callable[[ServerHandle], OpenAI]:
    """A ``client`` fixture on the module's ``server``: ``client = openai_fixture()``."""

    @pytest.fixture
    def client(server: ServerHandle) -> OpenAI:
        return openai_client(server)

    return client


def strict(model: Any, data: BaseModel) -> Any:
    """Validate exactly the fields the server sent with the SDK's own type."""
    raw = data.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return TypeAdapter(model).validate_python(raw)


HISTORY: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "Repeat what the user said."},
    {"role": "user", "content": "alpha"},
    {"role": "assistant", "content": "alpha"},
    {"role": "user", "content": "beta"},
]


def check_chat_history_reaches_the_agent_once(client: OpenAI, model: str = "echo") -> None:
    """The whole history reaches the echo agent once, plain and streamed, each time anew."""
    reply = client.chat.completions.create(model=model, messages=HISTORY)
    assert reply.choices[0].message.content == "alpha | beta"
    # the same history again: a new conversation, not a continuation of the first
    again = client.chat.completions.create(model=model, messages=HISTORY)
    assert again.choices[0].message.content == "alpha | beta"
    stream = client.chat.completions.create(model=model, messages=HISTORY, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "alpha | beta"


def check_run_python_is_a_code_interpreter_call(client: OpenAI, *, persists: bool) -> Response:
    """``coder`` runs ``x = 6 * 7`` as one code-interpreter call (and ``x + 1`` next)."""
    first = client.responses.create(model="coder", input="x = 6 * 7\nx")
    strict(Response, first)
    assert first.status == "completed"
    calls = [o for o in first.output if o.type == "code_interpreter_call"]
    assert len(calls) == 1 and calls[0].code == "x = 6 * 7\nx"
    if persists:
        assert [o.logs for o in calls[0].outputs or [] if o.type == "logs"] == ["42"]
    assert first.output_text.endswith("Result: 42")
    if persists:
        second = client.responses.create(
            model="coder", input="x + 1", previous_response_id=first.id
        )
        assert second.output_text.endswith("Result: 43")  # same conversation, same sandbox
    return first


def check_responses_stream_text_deltas(client: OpenAI) -> list[Any]:
    """``counter`` streams its count of "one two three" as numbered text deltas."""
    stream = client.responses.create(model="counter", input="one two three", stream=True)
    events = [strict(ResponseStreamEvent, e) for e in stream]
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 2
    assert "".join(deltas) == "Let me count.Your message has 3 words."
    assert [e.sequence_number for e in events] == list(range(len(events)))
    return events
