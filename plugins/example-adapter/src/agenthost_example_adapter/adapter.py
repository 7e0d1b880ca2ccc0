"""The ``example`` adapter: serves ``toy.ToyAgent`` objects. Read this as a template.

An adapter does three things: say which objects it serves (``detects``), describe the agent
(``describe``; the base class's is often enough) and translate one run of the framework into
neutral events (``run``). The host does the rest: ids, ``run.started``, the terminal event,
``message.completed`` for text you stream but do not complete, failure and cancellation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agenthost import (
    Adapter,
    Message,
    MessageCompleted,
    MessageDelta,
    RunContext,
    RunInput,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
    new_id,
)

from .toy import Reply, ToyAgent


class ExampleOptions(BaseModel):
    """``[agents.NAME.options]`` for this adapter; ``extra="forbid"`` catches typos."""

    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(8, ge=1, description="model calls per run before it fails")


class ExampleAdapter(Adapter):
    name = "example"
    Options = ExampleOptions
    options: ExampleOptions  # the host validates [agents.NAME.options] into this

    @classmethod
    def detects(cls, obj: object) -> bool:
        return isinstance(obj, ToyAgent)

    async def run(self, input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
        agent: ToyAgent = self.target
        message_id = new_id("m")  # one id per model answer: its deltas and its completion
        # The session id maps to the framework's own memory: here, ToyAgent's session key.
        stream = agent.astream(
            input.text, session=ctx.session_id, max_steps=self.options.max_steps
        )
        # Cancelling: the host cancels the task iterating this generator, and the cancel
        # reaches whatever ToyAgent awaits (plain asyncio). `finally` is where a framework
        # with its own cancel API gets called (`handle.cancel()`); here it closes the stream.
        try:
            async for kind, value in stream:
                if kind == "token":
                    yield MessageDelta(message_id=message_id, text=value)
                elif kind == "reply":
                    for event in self._reply(value, message_id):
                        yield event
                    message_id = new_id("m")  # the next model answer is another message
                elif kind == "tool_result":
                    call, output = value
                    yield ToolResult(call_id=call.id, name=call.name, output=output)
        finally:
            await stream.aclose()

    def _reply(self, reply: Reply, message_id: str) -> list[Any]:
        events: list[Any] = []
        if reply.text:
            message = Message(id=message_id, role="assistant", parts=[TextPart(text=reply.text)])
            events.append(MessageCompleted(message=message))
        if reply.usage:
            events.append(UsageEvent(usage=Usage(**reply.usage)))
        for call in reply.tool_calls:
            events.append(ToolCall(call_id=call.id, name=call.name, arguments=call.arguments))
        return events
