"""What ``/openapi.json`` shows of the Responses answers: the objects this frontend sends.

The openai package's own types are not a dependency of this frontend (they are what the tests
validate every body against); these models describe the same objects at the level a client
needs to find its way. Output items stay open objects: ``message``, ``reasoning``,
``code_interpreter_call`` and ``mcp_call``, as in OpenAI's Responses API reference.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ResponseUsage(_Open):
    input_tokens: int
    input_tokens_details: dict[str, int]
    output_tokens: int
    output_tokens_details: dict[str, int]
    total_tokens: int


class ResponseError(_Open):
    code: str
    message: str


class ResponseObject(_Open):
    """A response (``object: "response"``): one run of the agent named by ``model``."""

    id: str = Field(description="the response id, also the run id")
    object: Literal["response"] = "response"
    created_at: int
    completed_at: int | None = None
    model: str = Field(description="the agent that answered")
    status: Literal["queued", "in_progress", "completed", "failed", "cancelled", "incomplete"]
    output: list[dict[str, Any]] = Field(
        description="output items: message, reasoning, code_interpreter_call, mcp_call"
    )
    error: ResponseError | None = None
    incomplete_details: dict[str, Any] | None = None
    usage: ResponseUsage | None = None
    instructions: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    previous_response_id: str | None = None
    conversation: dict[str, str] | None = None
    background: bool = False
    user: str | None = Field(default=None, description="metadata only: never the owner")
    safety_identifier: str | None = Field(
        default=None, description="metadata only: never the owner"
    )


class ResponseDeleted(_Open):
    id: str
    object: Literal["response"] = "response"
    deleted: Literal[True] = True


class ResponseInputItems(_Open):
    """One page of a response's input items (``object: "list"``)."""

    object: Literal["list"] = "list"
    data: list[dict[str, Any]] = Field(description="message items, newest first by default")
    first_id: str
    last_id: str
    has_more: bool
