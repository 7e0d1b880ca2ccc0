"""``ScriptedChatClient``: an AutoGen model client that answers from a script, offline.

For tests and demos: no network, no API key (``autogen_ext``'s replay client is not a
dependency). It streams like the OpenAI client: text in word-sized chunks, then a
``CreateResult``; text sent along with tool calls becomes the result's ``thought``; reasoning
comes inline between ``<think>`` tags and again as ``thought``.

    client = ScriptedChatClient([
        Answer("Let me look.", calls=[("c1", "lookup", {"city": "Paris"})]),
        "Found it.",                                   # a plain string: a text answer
        lambda messages: "you said " + user_texts(messages)[-1],   # computed from the input
    ])

Turns are taken as ``agenthost.testing.script.TurnCursor`` says (one a model call, then
``repeat_last``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelCapabilities,
    ModelInfo,
    RequestUsage,
    UserMessage,
)
from autogen_core.tools import Tool, ToolSchema
from pydantic import BaseModel

from agenthost.testing.script import TurnCursor, pieces


@dataclass(frozen=True)
class Answer:
    """One scripted model answer: text, tool calls ``(id, name, arguments)``, reasoning."""

    text: str = ""
    calls: Sequence[tuple[str, str, dict[str, Any]]] = ()
    reasoning: str = ""
    usage: tuple[int, int] | None = None
    """(prompt, completion) tokens; None: the client's default."""


Turn = Answer | str | BaseException | Callable[[Sequence[LLMMessage]], Any]


@dataclass
class ScriptLog:
    """What the client was sent and how its streams ended (for assertions)."""

    seen: list[list[LLMMessage]] = field(default_factory=list)
    streams_closed: int = 0
    streams_finished: int = 0


def user_texts(messages: Sequence[LLMMessage]) -> list[str]:
    """The text of every user message the model was sent."""
    texts: list[str] = []
    for message in messages:
        if isinstance(message, UserMessage):
            content = message.content
            texts.append(content if isinstance(content, str) else
                         " ".join(c for c in content if isinstance(c, str)))
    return texts


class ScriptedChatClient(ChatCompletionClient):
    """A model client whose answers are scripted (see the module docstring)."""

    def __init__(
        self,
        turns: Sequence[Turn],
        *,
        repeat_last: bool = False,
        usage: tuple[int, int] | None = None,
        chunk_delay: float = 0.0,
        vision: bool = True,
    ) -> None:
        self.turns = list(turns)
        self.repeat_last = repeat_last
        self.usage = usage
        self.chunk_delay = chunk_delay  # seconds between chunks: a stream that takes time
        self.hold: asyncio.Event | None = None
        """When set: each stream waits after its first chunk until this event is set."""
        self.streaming = asyncio.Event()  # set once a stream has sent its first chunk
        self.log = ScriptLog()
        self._cursor = TurnCursor()
        self._total = RequestUsage(prompt_tokens=0, completion_tokens=0)
        self._info = ModelInfo(
            vision=vision,
            function_calling=True,
            json_output=False,
            family="unknown",
            structured_output=False,
        )

    def _answer(self, messages: Sequence[LLMMessage]) -> Answer:
        turn = self._cursor.take(
            self.turns, messages, repeat_last=self.repeat_last, seen=self.log.seen
        )
        return Answer(text=turn) if isinstance(turn, str) else turn

    def _result(self, answer: Answer) -> CreateResult:
        prompt, completion = answer.usage or self.usage or (0, 0)
        usage = RequestUsage(prompt_tokens=prompt, completion_tokens=completion)
        self._total = RequestUsage(
            prompt_tokens=self._total.prompt_tokens + prompt,
            completion_tokens=self._total.completion_tokens + completion,
        )
        thought = answer.reasoning or None
        if answer.calls:
            calls = [
                FunctionCall(id=i, name=n, arguments=json.dumps(a)) for i, n, a in answer.calls
            ]
            thought = "".join(filter(None, [answer.reasoning, answer.text])) or None
            return CreateResult(
                finish_reason="function_calls", content=calls, thought=thought, usage=usage,
                cached=False,
            )
        return CreateResult(
            finish_reason="stop", content=answer.text, thought=thought, usage=usage, cached=False
        )

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        return self._result(self._answer(messages))

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = [],
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        answer = self._answer(messages)
        try:
            if answer.reasoning:
                for piece in ["<think>", *pieces(answer.reasoning), "</think>"]:
                    yield piece
                    await asyncio.sleep(self.chunk_delay)
            for piece in pieces(answer.text):
                yield piece
                self.streaming.set()
                if self.hold is not None:
                    await self.hold.wait()
                await asyncio.sleep(self.chunk_delay)
            yield self._result(answer)
            self.log.streams_finished += 1
        finally:
            self.log.streams_closed += 1

    async def close(self) -> None:
        return None

    def actual_usage(self) -> RequestUsage:
        return self._total

    def total_usage(self) -> RequestUsage:
        return self._total

    def count_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []
    ) -> int:
        return sum(len(str(m.content).split()) for m in messages)

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = []
    ) -> int:
        return 1_000_000 - self.count_tokens(messages)

    @property
    def capabilities(self) -> ModelCapabilities:
        return ModelCapabilities(vision=self._info["vision"], function_calling=True,
                                 json_output=False)

    @property
    def model_info(self) -> ModelInfo:
        return self._info


__all__ = ["Answer", "ScriptLog", "ScriptedChatClient", "user_texts"]
