"""``ScriptedChatClient``: a MAF chat client that answers from a script, offline.

For tests and demos: no network, no API key. It streams text word by word, reasoning as
``text_reasoning``, and each tool call as two ``function_call`` fragments sharing one call id
(as the real OpenAI client does), so a real ``Agent`` runs its real tool loop on it.

    client = ScriptedChatClient(turns=[
        Message(role="assistant", contents=[
            Content.from_text("Let me look."),
            Content.from_function_call("c1", "lookup", arguments={"city": "Paris"}),
        ]),
        "Found it.",                                    # a plain string: a text answer
        lambda messages: f"you said {messages[-1].text}",   # computed from what it is sent
    ], usage={"input_token_count": 3, "output_token_count": 5, "total_token_count": 8})
    agent = Agent(client=client, tools=[lookup])

Turns are taken as ``agenthost.testing.script.TurnCursor`` says (one a model call, then
``repeat_last``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, cast

from agent_framework import (
    BaseChatClient,
    ChatResponse,
    ChatResponseUpdate,
    Content,
    FunctionInvocationLayer,
    Message,
    UsageDetails,
)

from agenthost.testing.script import TurnCursor, pieces

Turn = str | Message | BaseException | Callable[[list[Message]], Any]


class ScriptedChatClient(FunctionInvocationLayer[Any], BaseChatClient[Any]):
    """A chat client whose answers are scripted (see the module docstring)."""

    def __init__(
        self,
        turns: Sequence[Turn],
        *,
        usage: Mapping[str, int] | None = None,
        repeat_last: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.turns = list(turns)
        self.usage = dict(usage) if usage else None
        self.repeat_last = repeat_last
        self.seen: list[list[Message]] = []
        """What the last calls (at most 100) were sent, oldest first (for assertions)."""
        self.seen_options: list[dict[str, Any]] = []
        """The chat options of those calls (``instructions``, ``tools``, ...)."""
        self._cursor = TurnCursor()

    def _answer(self, messages: Sequence[Message]) -> Message:
        turn = self._cursor.take(
            self.turns, messages, repeat_last=self.repeat_last, seen=self.seen
        )
        if isinstance(turn, str):
            return Message(role="assistant", contents=[Content.from_text(turn)])
        if isinstance(turn, Message):
            return turn
        raise TypeError(f"a scripted turn must be a str, Message or exception, not {turn!r}")

    def _updates(self, answer: Message) -> list[ChatResponseUpdate]:
        updates = []
        for content in answer.contents:
            for piece in _fragments(content):
                updates.append(ChatResponseUpdate(role="assistant", contents=[piece]))
        if self.usage:
            usage = Content.from_usage(cast(UsageDetails, dict(self.usage)))
            updates.append(ChatResponseUpdate(role="assistant", contents=[usage]))
        return updates

    def _inner_get_response(
        self, *, messages: Sequence[Message], stream: bool, options: Mapping[str, Any], **kw: Any
    ) -> Any:
        self.seen_options.append(dict(options))
        del self.seen_options[:-100]
        if stream:

            async def updates() -> AsyncIterator[ChatResponseUpdate]:
                # Answered inside the stream, so a scripted error raises out of the iteration
                # as a real client's HTTP error does.
                for update in self._updates(self._answer(messages)):
                    yield update

            return self._build_response_stream(updates())

        async def once() -> ChatResponse:
            return ChatResponse.from_updates(self._updates(self._answer(messages)))

        return once()


def _fragments(content: Content) -> list[Content]:
    """One content as the pieces a streaming model sends."""
    if content.type == "text":
        return [Content.from_text(p) for p in pieces(content.text or "")]
    if content.type == "text_reasoning":
        return [Content.from_text_reasoning(text=p) for p in pieces(content.text or "")]
    if content.type == "function_call":
        arguments = content.arguments
        text = arguments if isinstance(arguments, str) else json.dumps(arguments or {})
        half = len(text) // 2
        assert content.call_id is not None and content.name is not None
        return [
            Content.from_function_call(content.call_id, content.name, arguments=text[:half]),
            Content.from_function_call(content.call_id, "", arguments=text[half:]),
        ]
    return [content]


def user_texts(messages: Sequence[Message]) -> list[str]:
    """The text of every user message in ``messages`` (for turns computed from the history)."""
    return [m.text for m in messages if m.role == "user" and m.text]
