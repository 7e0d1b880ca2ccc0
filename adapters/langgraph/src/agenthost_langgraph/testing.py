"""``ScriptedChatModel``: a LangChain chat model that answers from a script, offline.

For tests and demos: no network, no API key. It streams its text word by word and, unlike
LangChain's ``GenericFakeChatModel`` (which drops tool calls when streaming), streams its tool
calls too, so a real ``create_react_agent`` / ``create_agent`` graph calls real tools.

    model = ScriptedChatModel(turns=[
        AIMessage("Let me look.", tool_calls=[{"name": "lookup", "args": {"q": "x"}, "id": "c1"}]),
        "Found it.",                          # a plain string: a text answer
        lambda messages: f"you said {messages[-1].text}",   # computed from what it is sent
    ])

Turns are taken as ``agenthost.testing.script.TurnCursor`` says (one a model call, then
``repeat_last``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field, PrivateAttr

from agenthost.testing.script import TurnCursor, pieces

Turn = AIMessage | str | BaseException | Callable[[list[BaseMessage]], Any]


class ScriptedChatModel(BaseChatModel):
    """A chat model whose answers are scripted (see the module docstring)."""

    turns: list[Any]
    repeat_last: bool = False
    usage: dict[str, int] | None = None
    """usage_metadata reported with every answer, e.g. {"input_tokens": 3, ...}."""

    seen: list[list[BaseMessage]] = Field(default_factory=list, exclude=True)
    """What the last calls (at most 100) were sent, oldest first (for assertions)."""

    _cursor: TurnCursor = PrivateAttr(default_factory=TurnCursor)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        """The script decides which tools are called; binding only has to succeed."""
        return self

    def _answer(self, messages: list[BaseMessage]) -> AIMessage:
        turn = self._cursor.take(
            self.turns, messages, repeat_last=self.repeat_last, seen=self.seen
        )
        message = AIMessage(content=turn) if isinstance(turn, str) else turn
        if self.usage and not message.usage_metadata:
            message = message.model_copy(update={"usage_metadata": dict(self.usage)})
        return message

    def _chunks(self, message: AIMessage) -> Iterator[AIMessageChunk]:
        if isinstance(message.content, str):
            for piece in pieces(message.content):
                yield AIMessageChunk(content=piece, id=message.id)
        else:
            # Content blocks (reasoning, text, ...): chunks of one block share its index, so
            # LangChain merges them back into that block.
            for index, block in enumerate(message.content):
                if isinstance(block, dict) and block.get("type") == "text":
                    for piece in pieces(block.get("text", "")):
                        part = {"type": "text", "text": piece, "index": index}
                        yield AIMessageChunk(content=[part], id=message.id)
                elif isinstance(block, dict):
                    yield AIMessageChunk(content=[{**block, "index": index}], id=message.id)
        yield AIMessageChunk(
            content="",
            id=message.id,
            tool_call_chunks=[
                {
                    "name": call["name"],
                    "args": json.dumps(call["args"]),
                    "id": call["id"],
                    "index": index,
                    "type": "tool_call_chunk",
                }
                for index, call in enumerate(message.tool_calls)
            ],
            usage_metadata=message.usage_metadata,
            chunk_position="last",
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._answer(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # LangChain reports each yielded chunk to the callbacks (LangGraph's "messages" mode).
        for chunk in self._chunks(self._answer(messages)):
            yield ChatGenerationChunk(message=chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks(self._answer(messages)):
            yield ChatGenerationChunk(message=chunk)


def user_texts(messages: list[BaseMessage]) -> list[str]:
    """The text of every user message in ``messages`` (for turns computed from the history)."""
    return [m.text for m in messages if m.type == "human"]
