"""What ``/openapi.json`` shows of the Chat Completions and models answers.

The openai package's own types are not a dependency of this frontend (they are what the tests
validate every body against); these models describe the objects this frontend sends.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ChatUsage(_Open):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatMessage(_Open):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: str | None = None
    reasoning_content: str | None = Field(
        default=None, description="the agent's reasoning, when it streamed any"
    )


class ChatChoice(_Open):
    index: int
    message: ChatMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(_Open):
    """``object: "chat.completion"`` (with ``stream: true``: ``chat.completion.chunk`` lines
    as SSE, then ``[DONE]``)."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = Field(description="the agent that answered")
    choices: list[ChatChoice]
    usage: ChatUsage


class ModelObject(_Open):
    """An agent this host serves, as a model."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(_Open):
    object: Literal["list"] = "list"
    data: list[ModelObject]
