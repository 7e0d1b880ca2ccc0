"""``ScriptedModel``: an Agno model that answers from a script, offline.

For tests and demos: no network, no API key. Each model call takes the next turn and streams
it the way a provider does (text word by word, then the tool calls), so a real ``Agent``,
``Team`` or ``Workflow`` runs real tools on it::

    model = ScriptedModel(turns=[
        Reply("Let me look.", tool_calls=[("c1", "lookup", {"city": "Paris"})]),
        "Sunny in Paris.",                                  # a plain string: a text answer
        lambda messages: f"you said {user_texts(messages)[-1]}",   # computed from the history
        RuntimeError("model broke"),                        # raised by the model call
    ])

After the last turn, ``repeat_last`` decides between answering with the last turn again and
failing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from agno.metrics import MessageMetrics
from agno.models.base import Model
from agno.models.message import Message
from agno.models.response import ModelResponse

from agenthost.testing.script import TurnCursor, pieces


@dataclass(frozen=True)
class Reply:
    """One scripted answer: text, reasoning, and tool calls ``(id, name, arguments)``."""

    text: str = ""
    tool_calls: Sequence[tuple[str, str, dict[str, Any]]] = ()
    reasoning: str = ""


@dataclass
class ScriptedModel(Model):
    """An Agno ``Model`` whose answers are scripted (see the module docstring)."""

    id: str = "scripted"
    name: str | None = "Scripted"
    provider: str | None = "agenthost"
    turns: list[Any] = field(default_factory=list)
    repeat_last: bool = False
    usage: dict[str, int] | None = None
    """Token counts reported with every answer, e.g. ``{"input_tokens": 3, ...}``."""
    seen: list[list[Message]] = field(default_factory=list)
    """What the last calls (at most 100) were sent, oldest first (for assertions)."""
    _cursor: TurnCursor = field(default_factory=TurnCursor, repr=False)

    @property
    def calls(self) -> int:
        """How many model calls the script has answered (or failed)."""
        return self._cursor.taken

    def _answer(self, messages: list[Message]) -> Reply:
        turn = self._cursor.take(
            self.turns, messages, repeat_last=self.repeat_last, seen=self.seen
        )
        return Reply(text=turn) if isinstance(turn, str) else turn

    def _deltas(self, reply: Reply) -> Iterator[ModelResponse]:
        if reply.reasoning:
            yield ModelResponse(role="assistant", reasoning_content=reply.reasoning)
        for piece in pieces(reply.text):
            yield ModelResponse(role="assistant", content=piece)
        last = ModelResponse(role="assistant", tool_calls=[_call(*c) for c in reply.tool_calls])
        last.response_usage = self._metrics()
        yield last

    def _whole(self, reply: Reply) -> ModelResponse:
        response = ModelResponse(
            role="assistant",
            content=reply.text or None,
            reasoning_content=reply.reasoning or None,
            tool_calls=[_call(*c) for c in reply.tool_calls],
        )
        response.response_usage = self._metrics()
        return response

    def _metrics(self) -> MessageMetrics | None:
        if not self.usage:
            return None
        usage = self.usage
        return MessageMetrics(
            input_tokens=usage.get("input_tokens", 0),
            output_tokens=usage.get("output_tokens", 0),
            total_tokens=usage.get("total_tokens", 0),
        )

    def invoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self._whole(self._answer(kwargs["messages"]))

    async def ainvoke(self, *args: Any, **kwargs: Any) -> ModelResponse:
        return self._whole(self._answer(kwargs["messages"]))

    def invoke_stream(self, *args: Any, **kwargs: Any) -> Iterator[ModelResponse]:
        yield from self._deltas(self._answer(kwargs["messages"]))

    async def ainvoke_stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ModelResponse]:
        for delta in self._deltas(self._answer(kwargs["messages"])):
            yield delta

    def _parse_provider_response(self, response: Any, **kwargs: Any) -> ModelResponse:
        return response  # already a ModelResponse

    def _parse_provider_response_delta(self, response: Any) -> ModelResponse:
        return response


def _call(call_id: str, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def user_texts(messages: list[Message]) -> list[str]:
    """The text of every user message in ``messages`` (for turns computed from the history)."""
    return [m.get_content_string() for m in messages if m.role == "user"]


TurnFunction = Callable[[list[Message]], Any]

__all__ = ["Reply", "ScriptedModel", "TurnFunction", "user_texts"]
