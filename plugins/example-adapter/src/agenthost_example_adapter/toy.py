"""``toy``: a tiny agent framework, the stand-in for "your framework" in this example.

A ``ToyAgent`` has a model (an async function from the conversation so far to a ``Reply``),
async tools, and a memory per session. ``astream`` yields ``(kind, value)`` pairs:
``("token", str)`` while the model's text streams, ``("reply", Reply)`` when the model is done,
``("tool_result", (call, output))`` after each tool call.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ToolCallRequest:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[ToolCallRequest] = field(default_factory=list)
    usage: dict[str, int] | None = None


Model = Callable[[list[dict[str, Any]]], Awaitable[Reply]]


class ToyAgent:
    def __init__(self, model: Model, tools: Iterable[Callable[..., Awaitable[Any]]] = ()):
        self.model = model
        self.tools = {tool.__name__: tool for tool in tools}
        self.memory: dict[str, list[dict[str, Any]]] = {}

    async def astream(
        self, text: str, *, session: str, max_steps: int = 8
    ) -> AsyncGenerator[tuple[str, Any], None]:
        history = self.memory.setdefault(session, [])
        history.append({"role": "user", "content": text})
        for _ in range(max_steps):
            reply = await self.model(list(history))
            for piece in re.findall(r"\S+\s*|\s+", reply.text):
                yield "token", piece
            yield "reply", reply
            history.append({"role": "assistant", "content": reply.text})
            if not reply.tool_calls:
                return
            for call in reply.tool_calls:
                output = await self.tools[call.name](**call.arguments)
                history.append({"role": "tool", "call_id": call.id, "content": str(output)})
                yield "tool_result", (call, output)
        raise RuntimeError(f"the agent made {max_steps} model calls without a final answer")
