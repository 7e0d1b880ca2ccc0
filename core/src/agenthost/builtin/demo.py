"""The embedded ``demo`` agent: no API key, no network, shows the system working.

It streams a reply token by token; a message with a fenced Python block has the block run in
the session's sandbox (state persists across turns of one session), with the call and its
result visible as ``tool.call`` / ``tool.result`` events. Without a sandbox (no bubblewrap, say)
it still chats, and says why it cannot run code.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

from ..context import RunContext
from ..events import Artifact, Event, RunInput, ToolCall, ToolResult, new_id

FENCE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)```", re.DOTALL)
TOKEN_DELAY = 0.01
HELP = (
    "Hello! I am the agenthost demo agent. I stream replies token by token, and when your "
    "message holds a fenced ```python block I run it in this session's sandbox, where "
    "variables persist from one message to the next."
)


async def _say(text: str) -> AsyncIterator[str]:
    for token in re.findall(r"\S+\s*|\s+", text):
        yield token
        await asyncio.sleep(TOKEN_DELAY)


async def demo(input: RunInput, ctx: RunContext) -> AsyncIterator[Event | str]:
    """A demo agent that streams its reply and runs fenced Python blocks in a sandbox."""
    blocks = FENCE.findall(input.text)
    if not blocks:
        reply = HELP if not input.text.strip() else f"{HELP} You said: {input.text.strip()}"
        async for token in _say(reply):
            yield token
        return
    for code in blocks:
        call_id = new_id("call")
        yield ToolCall(call_id=call_id, name="run_python", arguments={"code": code})
        output, is_error, artifacts, ran = await _run(code, ctx)
        for part in artifacts:
            yield Artifact(part=part, call_id=call_id)
        yield ToolResult(call_id=call_id, name="run_python", output=output, is_error=is_error)
        reply = (
            f"I ran your code. Output:\n{output}\n"
            if ran
            else f"I cannot run code here, so I did not run it. {output}\n"
        )
        async for token in _say(reply):
            yield token


async def _run(code: str, ctx: RunContext) -> tuple[str, bool, list[Any], bool]:
    """(output, is_error, artifacts, whether the code ran at all)."""
    from ..sandbox.errors import SandboxError

    try:
        sandbox = await ctx.sandbox()
    except Exception as exc:
        return f"Error: no sandbox is available: {exc}", True, [], False
    try:
        result = await sandbox.run_python(code, timeout=30)
    except SandboxError as exc:  # timeout, crash: the sandbox restarted empty
        return f"Error: {exc}", True, [], True
    return result.text() or "(no output)", not result.ok, list(result.artifacts), True
