"""``ScriptedChatModel``: an AgentScope chat model that answers from a script, offline.

For tests and demos: no network, no API key. Each model call takes the next turn and streams
it the way a real provider does: text word by word, then the tool calls, then usage::

    model = ScriptedChatModel(turns=[
        ScriptedAnswer("Let me look.", tool_calls=[("c1", "lookup", {"city": "Paris"})]),
        "Sunny.",                                        # a plain string: a text answer
        lambda messages: f"you said {user_texts(messages)[-1]}",   # computed from the context
        RuntimeError("model down"),                      # raised
    ])

After the last turn, ``repeat_last`` decides between answering with the last turn again and
failing. The model carries the OpenAI chat formatter (the agent reads
``model.formatter.supported_input_media_types``) but never calls it: nothing leaves the process.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentscope.credential import CredentialBase
from agentscope.formatter import OpenAIChatFormatter
from agentscope.message import Msg, TextBlock, ThinkingBlock, ToolCallBlock
from agentscope.model import ChatModelBase, ChatResponse, ChatUsage

from agenthost.testing.script import TurnCursor, pieces


@dataclass(frozen=True)
class ScriptedAnswer:
    """One scripted answer: text (streamed in pieces), reasoning, tool calls, usage."""

    text: str = ""
    tool_calls: Sequence[tuple[str, str, dict[str, Any]]] = ()
    """(call id, tool name, arguments) for each call."""
    thinking: str = ""
    usage: tuple[int, int] | None = None
    """(input tokens, output tokens) reported for this answer."""
    pause: float = 0.0
    """Seconds to wait before each chunk (lets a test cancel mid-stream)."""
    gate: asyncio.Event | None = field(default=None, compare=False)
    """When set, the answer waits for this event before its first chunk."""


Turn = ScriptedAnswer | str | BaseException | Callable[[list[Msg]], Any]


class ScriptedChatModel(ChatModelBase):
    """A chat model whose answers are scripted (see the module docstring)."""

    def __init__(
        self,
        turns: Sequence[Turn],
        *,
        repeat_last: bool = False,
        usage: tuple[int, int] | None = None,
        name: str = "scripted",
    ) -> None:
        super().__init__(
            credential=CredentialBase(), model=name, parameters=ChatModelBase.Parameters()
        )
        self.turns = list(turns)
        self.repeat_last = repeat_last
        self.usage = usage
        self.formatter = OpenAIChatFormatter()
        self.seen: list[list[Msg]] = []
        """What the last calls (at most 100) were sent, oldest first (for assertions)."""
        self._cursor = TurnCursor()

    def _take(self, messages: list[Msg]) -> ScriptedAnswer:
        turn = self._cursor.take(
            self.turns, messages, repeat_last=self.repeat_last, seen=self.seen
        )
        answer = ScriptedAnswer(text=turn) if isinstance(turn, str) else turn
        if answer.usage is None and self.usage is not None:
            answer = ScriptedAnswer(
                answer.text,
                answer.tool_calls,
                answer.thinking,
                self.usage,
                answer.pause,
                answer.gate,
            )
        return answer

    async def _call_api(
        self,
        model_name: str,
        messages: list[Msg],
        tools: list[dict[str, Any]] | None = None,
        tool_choice: Any = None,
        **kwargs: Any,
    ) -> AsyncGenerator[ChatResponse, None]:
        answer = self._take(messages)
        return _stream(answer)


async def _stream(answer: ScriptedAnswer) -> AsyncGenerator[ChatResponse, None]:
    # Deltas only (is_last=False): the base class accumulates them into the final response.
    if answer.gate is not None:
        await answer.gate.wait()
    chunks: list[ChatResponse] = []
    if answer.thinking:
        chunks.append(_chunk(ThinkingBlock(id="think", thinking=answer.thinking)))
    chunks.extend(_chunk(TextBlock(id="text", text=p)) for p in pieces(answer.text))
    for call_id, name, arguments in answer.tool_calls:
        chunks.append(_chunk(ToolCallBlock(id=call_id, name=name, input=json.dumps(arguments))))
    if answer.usage is not None:
        usage = ChatUsage(input_tokens=answer.usage[0], output_tokens=answer.usage[1], time=0.0)
        chunks.append(ChatResponse(content=[], is_last=False, usage=usage))
    for chunk in chunks:
        await asyncio.sleep(answer.pause)  # also a point where a cancel can land
        yield chunk


def _chunk(block: Any) -> ChatResponse:
    return ChatResponse(content=[block], is_last=False)


def user_texts(messages: list[Msg]) -> list[str]:
    """The text of every user message in ``messages`` (for turns computed from the context)."""
    return [
        "".join(b.text for b in m.content if isinstance(b, TextBlock))
        for m in messages
        if m.role == "user" and any(isinstance(b, TextBlock) for b in m.content)
    ]


__all__ = ["ScriptedAnswer", "ScriptedChatModel", "Turn", "pieces", "user_texts"]
