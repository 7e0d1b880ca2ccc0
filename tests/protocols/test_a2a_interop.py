"""A2A interop with other vendors' clients: a stream's last chunk carries the last text.

Clients that read an artifact's ``lastChunk`` update as the answer's final piece (google-adk's
``RemoteA2aAgent`` makes it its one non-partial event) showed an empty final answer when a
stream closed with an empty chunk. Proved here with the real clients against a real server
on a loopback port, streaming and unary, over JSON-RPC and HTTP+JSON:

- Microsoft Agent Framework's ``A2AAgent`` (``agent-framework-a2a``, in the workspace lock),
  in process;
- google-adk's ``RemoteA2aAgent``, which cannot join the workspace's lock (it caps
  opentelemetry-api below what agenthost-otel needs): installed once per test session in a
  venv of its own, running ``a2a_interop_adk.py`` as a subprocess. An install failure skips
  those tests, or fails them under ``AGENTHOST_REQUIRE_ENGINES=1`` (CI).

And with the a2a-sdk client, the chunk shapes themselves: merged deltas, a run that fails
mid-message.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from a2a.types import StreamResponse, TaskState
from agent_framework_a2a import A2AAgent

from agenthost.testing.server import ServerHandle

from .a2a_fixtures import (
    BINDINGS,
    WAIT,
    client_for,
    fetch_card,
    final_state,
    send,
    serve,
    streamed_text,
    user_message,
)

WORDS = ["The ", "quick ", "brown ", "fox ", "jumps. "]
ANSWER = "".join(WORDS)

ADK_REQUIREMENT = "google-adk[a2a]==2.13.0"
ADK_SCRIPT = Path(__file__).with_name("a2a_interop_adk.py")
INSTALL_TIMEOUT = 300.0  # a cold download of google-adk and its dependencies
CLIENT_TIMEOUT = 60.0


async def words(text: str) -> AsyncIterator[str]:
    """Streams a fixed answer word by word, one delta at a time."""
    for word in WORDS:
        yield word
        await asyncio.sleep(0)


async def burst(text: str) -> AsyncIterator[str]:
    """Yields every word without awaiting: all deltas are ready in one batch."""
    for word in WORDS:
        yield word


async def breaks(text: str) -> AsyncIterator[str]:
    yield "about "
    await asyncio.sleep(0)
    yield "to fail"
    raise ValueError("the agent broke on purpose")


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    # One artifact update per delta, so every chunk is seen.
    agents = {"words": words, "breaks": breaks}
    with serve(agents=agents, frontend={"merge_deltas": False}) as handle:
        yield handle


def chunks(events: list[StreamResponse]) -> list[Any]:
    return [e.artifact_update for e in events if e.HasField("artifact_update")]


def chunk_text(update: Any) -> str:
    return "".join(p.text for p in update.artifact.parts)


# The chunk shapes, with the a2a-sdk client.


@pytest.mark.parametrize("binding", BINDINGS)
async def test_the_last_chunk_carries_the_last_delta(server: ServerHandle, binding: str) -> None:
    client = await client_for(server.url, binding, streaming=True)
    events = await send(client, user_message("go"))
    await client.close()
    updates = chunks(events)
    assert [chunk_text(u) for u in updates] == WORDS  # no empty closing chunk
    assert [u.last_chunk for u in updates] == [False] * 4 + [True]
    assert [u.append for u in updates] == [False] + [True] * 4
    assert len({u.artifact.artifact_id for u in updates}) == 1
    assert final_state(events) == TaskState.TASK_STATE_COMPLETED


async def test_merged_deltas_end_with_text_too() -> None:
    with serve(agents={"burst": burst}) as merging:  # merge_deltas on (the default)
        client = await client_for(merging.url, "JSONRPC", streaming=True)
        events = await send(client, user_message("go"))
        await client.close()
    updates = chunks(events)
    assert streamed_text(events) == ANSWER
    assert updates and updates[-1].last_chunk and chunk_text(updates[-1])
    assert all(chunk_text(u) for u in updates)
    assert len(updates) < len(WORDS)  # merged, not one update per delta


async def test_a_run_that_fails_mid_message_still_sends_its_last_text(
    server: ServerHandle,
) -> None:
    client = await client_for(server.url + "/a2a/breaks", "JSONRPC", streaming=True)
    events = await send(client, user_message("go"))
    await client.close()
    updates = chunks(events)
    assert [chunk_text(u) for u in updates] == ["about ", "to fail"]
    assert updates[-1].last_chunk
    assert final_state(events) == TaskState.TASK_STATE_FAILED
    # The held text went out before the failure, not after it or never.
    failed_at = next(
        i
        for i, e in enumerate(events)
        if e.HasField("status_update")
        and e.status_update.status.state == TaskState.TASK_STATE_FAILED
    )
    assert max(i for i, e in enumerate(events) if e.HasField("artifact_update")) < failed_at


# Microsoft Agent Framework's A2AAgent (in process).


@pytest.mark.parametrize("binding", BINDINGS)
async def test_maf_a2a_agent_streams_every_word(server: ServerHandle, binding: str) -> None:
    card = await fetch_card(server.url)
    agent = A2AAgent(agent_card=card, supported_protocol_bindings=[binding], timeout=WAIT)
    async with asyncio.timeout(WAIT):
        stream = agent.run("go", stream=True)
        updates = [update async for update in stream]
        final = await stream.get_final_response()
    assert [u.text for u in updates] == WORDS  # no empty update at the end
    assert final.text == ANSWER


@pytest.mark.parametrize("binding", BINDINGS)
async def test_maf_a2a_agent_unary_gets_the_whole_answer(
    server: ServerHandle, binding: str
) -> None:
    card = await fetch_card(server.url)
    agent = A2AAgent(agent_card=card, supported_protocol_bindings=[binding], timeout=WAIT)
    async with asyncio.timeout(WAIT):
        response = await agent.run("go")
    assert response.text == ANSWER
    assert [m.text for m in response.messages] == [ANSWER]


# google-adk's RemoteA2aAgent (its own venv, a subprocess).


def _install_adk(venv: Path) -> Path:
    python = venv / "bin" / "python"
    uv = shutil.which("uv")
    if uv:
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        install = [uv, "pip", "install", "-q", "--python", str(python), ADK_REQUIREMENT]
    else:
        subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=60
        )
        install = [str(python), "-m", "pip", "install", "-q", ADK_REQUIREMENT]
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run(install, check=True, capture_output=True, timeout=INSTALL_TIMEOUT, env=env)
    subprocess.run(
        [str(python), "-c", "import google.adk.agents.remote_a2a_agent"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return python


@pytest.fixture(scope="session")
def adk_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with google-adk, made once per test session."""
    venv = tmp_path_factory.mktemp("adk") / "venv"
    try:
        return _install_adk(venv)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        why = (
            f"could not install {ADK_REQUIREMENT}: {exc} {detail.decode(errors='replace')[-2000:]}"
        )
        if os.environ.get("AGENTHOST_REQUIRE_ENGINES") == "1":
            pytest.fail(f"AGENTHOST_REQUIRE_ENGINES=1 but {why}", pytrace=False)
        pytest.skip(why)


def run_adk(python: Path, server: ServerHandle, binding: str, mode: str) -> dict[str, Any]:
    card_url = server.url + "/.well-known/agent-card.json"
    done = subprocess.run(
        [str(python), str(ADK_SCRIPT), card_url, binding, mode, "go"],
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("binding", BINDINGS)
def test_adk_remote_agent_streams_and_ends_on_the_last_word(
    adk_python: Path, server: ServerHandle, binding: str
) -> None:
    seen = run_adk(adk_python, server, binding, "stream")
    said = [e for e in seen["events"] if e["text"]]
    assert "".join(e["text"] for e in said) == ANSWER
    assert [e["partial"] for e in said] == [True] * 4 + [False]
    # ADK's one non-partial event of the artifact (its final response) has the last word,
    # not an empty text; that is the event ADK keeps in the session.
    assert said[-1]["text"] == WORDS[-1] and said[-1]["final"]
    assert WORDS[-1] in seen["session"]


@pytest.mark.parametrize("binding", BINDINGS)
def test_adk_remote_agent_unary_gets_the_whole_answer(
    adk_python: Path, server: ServerHandle, binding: str
) -> None:
    seen = run_adk(adk_python, server, binding, "unary")
    said = [e for e in seen["events"] if e["text"]]
    assert said == [{"text": ANSWER, "partial": False, "final": True}]
    assert seen["session"] == [ANSWER]
