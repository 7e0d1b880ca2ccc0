"""A2A: a multi-agent run's speakers (``Message.name``) on their artifacts' metadata."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from a2a.types import GetTaskRequest

from agenthost import Message, MessageCompleted, MessageDelta, TextPart
from agenthost.testing.server import ServerHandle

from .a2a_fixtures import VERSIONS, client_for, send, serve, task_id_of, user_message


async def team(text: str) -> AsyncIterator[Any]:
    """The writer's text streams, the reviewer's arrives whole, then the agent itself speaks."""
    yield MessageDelta(message_id="m-writer", text="A draft.")
    yield MessageCompleted(
        message=Message(
            id="m-writer", role="assistant", parts=[TextPart(text="A draft.")], name="writer"
        )
    )
    yield MessageCompleted(
        message=Message(
            id="m-reviewer", role="assistant", parts=[TextPart(text="Approved.")], name="reviewer"
        )
    )
    yield "Done."  # unnamed: no speaker in the metadata


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with serve(agents={"team": team}) as handle:
        yield handle


@pytest.mark.parametrize("version", VERSIONS)
async def test_each_members_artifact_names_its_speaker(server: ServerHandle, version: str) -> None:
    client = await client_for(server.url, "JSONRPC", version, streaming=True)
    events = await send(client, user_message("go"))
    closing = [
        dict(e.artifact_update.artifact.metadata)
        for e in events
        if e.HasField("artifact_update") and e.artifact_update.last_chunk
    ]
    assert closing == [{"name": "writer"}, {"name": "reviewer"}, {}]
    # The stored task keeps them: a streamed artifact's closing chunk merges its metadata.
    task = await client.get_task(GetTaskRequest(id=task_id_of(events)))
    assert [dict(a.metadata) for a in task.artifacts] == [
        {"name": "writer"},
        {"name": "reviewer"},
        {},
    ]
    await client.close()
