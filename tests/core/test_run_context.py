"""``RunContext`` as an adapter sees it: what ``ctx.history()`` holds, and what is public."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import agenthost
from agenthost import RunContext, RunInput, ToolCall, ToolResult
from agenthost.config import parse_config
from agenthost.events import Message
from agenthost.host import Host

seen: list[list[tuple[str, str]]] = []


async def conversation(input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
    """Answers, fails on "fail", uses a tool on "tool", and records its history on "show"."""
    if input.text == "fail":
        raise RuntimeError("failed on purpose")
    if input.text == "show":
        seen.append([(m.role, m.text_content) for m in await ctx.history()])
    if input.text == "tool":
        yield ToolCall(call_id="c1", name="lookup", arguments={})
        yield ToolResult(call_id="c1", output="tool output")
    yield f"answer to {input.text}"


async def run(host: Host, text: str) -> str:
    started = await host.runs.start(
        RunInput(agent="chat", messages=[Message.text(text)], session_id="s1")
    )
    record = await started.wait()
    return record.status


async def test_history_is_earlier_completed_turns_oldest_first_without_tools() -> None:
    host = Host(parse_config({"frontends": {}}))
    host.add_agent("chat", conversation)
    await host.startup()
    try:
        assert [await run(host, t) for t in ("first", "fail", "tool", "show")] == [
            "completed", "failed", "completed", "completed",
        ]
    finally:
        await host.shutdown()
    assert seen[-1] == [
        ("user", "first"),
        ("assistant", "answer to first"),
        ("user", "tool"),  # the failed run is not there; the tool's call and result neither
        ("assistant", "answer to tool"),
    ]


def test_run_context_is_public_and_has_no_unfilled_options() -> None:
    assert agenthost.RunContext is RunContext
    assert agenthost.new_id("m").startswith("m_")
    assert agenthost.new_id("m") != agenthost.new_id("m")
    # The agent's options live on the adapter (``self.options``), validated; a context dict
    # the host never filled would read as "no options" to an adapter that trusted it.
    assert "options" not in inspect.signature(RunContext).parameters
