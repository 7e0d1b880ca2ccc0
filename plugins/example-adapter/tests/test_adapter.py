"""The ``example`` adapter under the agenthost conformance kit, on a scripted model.

Run with ``pytest`` after ``pip install -e . 'agenthost[testing]'``: the kit finds the adapter
through the installed plugin (its entry point), as a host would.
"""

from __future__ import annotations

import asyncio
from typing import Any

from agenthost import Host, Message, RunInput, parse_config
from agenthost.testing import AdapterSuite, Script, ScriptedCall, Turn
from agenthost_example_adapter.toy import Reply, ToolCallRequest, ToyAgent


def scripted_model(script: Script) -> Any:
    """A toy model that answers model call *n* with ``script.turns[n]``: no network, no keys."""
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
    """Every check of the kit: streaming, tools, sessions, cancel, errors, usage."""

    adapter = "example"

    def make_agent(self, script: Script) -> Any:
        return ToyAgent(scripted_model(script), script.tools)


def test_max_steps_option_bounds_the_model_calls() -> None:
    """``[agents.NAME.options] max_steps`` reaches the adapter as ``self.options.max_steps``."""

    async def lookup(city: str) -> str:
        """Looks a city up."""
        return f"{city}: sunny"

    looping = Turn(text="again", tool_calls=(ScriptedCall("c1", "lookup", {"city": "Oslo"}),))
    agent = ToyAgent(scripted_model(Script(turns=[looping] * 5)), [lookup])

    async def go() -> Any:
        host = Host(parse_config({"frontends": {}}))
        host.add_agent("toy", agent, adapter="example", options={"max_steps": 2})
        await host.startup()
        try:
            run = await host.runs.start(RunInput(agent="toy", messages=[Message.text("hi")]))
            return await asyncio.wait_for(run.wait(), 30)
        finally:
            await host.shutdown()

    record = asyncio.run(go())
    assert record.status == "failed"
    assert "made 2 model calls without a final answer" in str(record.error)
