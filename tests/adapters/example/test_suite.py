"""The adapter conformance kit, run against the example adapter plugin and its toy framework."""

from __future__ import annotations

from typing import Any

from agenthost.testing import AdapterSuite, Script
from agenthost_example_adapter.toy import Reply, ToolCallRequest, ToyAgent


def scripted_model(script: Script) -> Any:
    """A toy model that answers with the script's turns, one per call."""
    turns = iter(script.turns)
    usage = script.usage.model_dump() if script.usage is not None else None

    async def model(history: list[dict[str, Any]]) -> Reply:
        turn = next(turns)
        if turn.error is not None:
            raise RuntimeError(turn.error)
        users = [m["content"] for m in history if m["role"] == "user"]
        calls = [ToolCallRequest(c.id, c.name, c.arguments) for c in turn.tool_calls]
        return Reply(text=turn.reply(users), tool_calls=calls, usage=usage)

    return model


class TestExampleAdapter(AdapterSuite):
    adapter = "example"

    def make_agent(self, script: Script) -> Any:
        return ToyAgent(scripted_model(script), script.tools)
