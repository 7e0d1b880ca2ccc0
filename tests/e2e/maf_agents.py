"""Served MAF agents for the end-to-end tests (scripted chat clients: offline, no keys)."""

from __future__ import annotations

import uuid

from agent_framework import Agent, Content, Message

from agenthost_maf import ScriptedChatClient, sandbox_tools
from agenthost_maf.testing import user_texts

from ..adapters.maf.agents import delete_file


def coder_turn(messages: list[Message]) -> Message:
    """Runs the user's message as Python in the sandbox, then reports what came back."""
    last = messages[-1]
    results = [c for c in last.contents if c.type == "function_result"]
    if results:
        return Message(
            role="assistant", contents=[Content.from_text(f"Result: {results[0].result}")]
        )
    call = Content.from_function_call(
        f"call_{uuid.uuid4().hex[:8]}", "run_python", arguments={"code": last.text}
    )
    return Message(role="assistant", contents=[Content.from_text("Running it."), call])


coder = Agent(
    client=ScriptedChatClient([coder_turn], repeat_last=True),
    tools=sandbox_tools(["run_python"]),
    name="coder",
)


def _janitor_turn(messages: list[Message]) -> Message:
    """Asks to delete a file (approval needed), then reports the tool's result."""
    last = messages[-1]
    results = [c for c in last.contents if c.type == "function_result"]
    if results:
        return Message(role="assistant", contents=[Content.from_text(f"Done: {results[0].result}")])
    call = Content.from_function_call(
        f"call_{uuid.uuid4().hex[:8]}", "delete_file", arguments={"path": "notes.txt"}
    )
    return Message(role="assistant", contents=[Content.from_text("Deleting."), call])


janitor = Agent(
    client=ScriptedChatClient([_janitor_turn], repeat_last=True),
    tools=[delete_file],
    name="janitor",
)


echo = Agent(
    client=ScriptedChatClient([lambda m: " | ".join(user_texts(m))], repeat_last=True),
    name="echo",
)
