"""``POST /v1/responses`` bodies: validation, the parameter policy, input items → messages.

Every parameter of the Responses API is either used, accepted because it cannot change the
answer, or accepted only at its neutral value (``temperature`` 1, ``tools`` empty, ...): an
agent is not a sampling model, so a value the host would have to ignore is refused with a 400
naming it, unless the operator lists it in ``ignore_params``. Unknown parameters are refused too.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agenthost.events import Message, Part, Role, TextPart
from agenthost.http import HTTPProblem
from agenthost.params import Check, ParamPolicy, empty, equals, number
from agenthost.parts import file_from_data, file_from_url, image_from_url, invalid, string


class ConversationRef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1)


class ResponsesStreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    include_obfuscation: bool | None = None


class CreateBody(BaseModel):
    """The parameters the frontend uses; the rest go through ``POLICY`` (``agenthost.params``)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str = Field(min_length=1)
    input: str | list[Any]
    instructions: str | None = None
    previous_response_id: str | None = None
    conversation: str | ConversationRef | None = None
    store: bool | None = True
    stream: bool | None = False
    stream_options: ResponsesStreamOptions | None = None
    background: bool | None = False
    metadata: dict[str, str] | None = None
    user: str | None = None
    safety_identifier: str | None = None

    @property
    def conversation_id(self) -> str | None:
        if isinstance(self.conversation, ConversationRef):
            return self.conversation.id
        return self.conversation


def _plain_text(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    fmt = value.get("format")
    return (fmt is None or fmt == {"type": "text"}) and value.get("verbosity") in (None, "medium")


def _no_effort(value: Any) -> bool:
    # A summary request is met anyway: the agent's reasoning is streamed as reasoning items.
    return value is None or (isinstance(value, dict) and value.get("effort") is None)


def _include(value: Any) -> bool:
    return value is None or (
        isinstance(value, list) and "message.output_text.logprobs" not in value
    )


# Parameters accepted only at their neutral value: (check, what is accepted).
_NEUTRAL: dict[str, tuple[Check, str]] = {
    "temperature": (number(1), "1 or null"),
    "top_p": (number(1), "1 or null"),
    "top_logprobs": (lambda v: v is None or (type(v) is int and v == 0), "0 or null"),
    "max_output_tokens": (equals(None), "null"),
    "max_tool_calls": (equals(None), "null"),
    "tools": (empty, "an empty list: agents run their own tools"),
    "tool_choice": (lambda v: v is None or v == "auto", "'auto'"),
    "text": (_plain_text, "format 'text'"),
    "reasoning": (_no_effort, "no 'effort'"),
    "include": (_include, "anything but 'message.output_text.logprobs'"),
    "prompt": (equals(None), "null: prompt templates are not supported"),
    "moderation": (equals(None), "null"),
    "image": (equals(None), "null"),
    "access_programs": (equals(None), "null"),
}
POLICY = ParamPolicy(
    section="frontends.responses",
    used=frozenset(CreateBody.model_fields),
    # Parameters that cannot change an agent's answer: accepted and documented as no-ops.
    no_effect=frozenset(
        {
            "parallel_tool_calls",  # only concerns client-side functions, which are refused
            "truncation",  # the agent manages its own context
            "service_tier",
            "prompt_cache_key",
            "prompt_cache_retention",
            "prompt_cache_options",
            "context_management",
        }
    ),
    neutral=_NEUTRAL,
)


def parse_create(data: Any, ignore_params: frozenset[str] = frozenset()) -> CreateBody:
    """Validate a create body; raises HTTPProblem 400 naming the first offending parameter."""
    body = POLICY.parse(data, CreateBody, ignore_params)
    if body.previous_response_id is not None and body.conversation is not None:
        raise HTTPProblem(
            400,
            "previous_response_id and conversation cannot be used together",
            param="conversation",
            code="invalid_body",
        )
    if body.background and body.store is False:
        raise HTTPProblem(
            400, "background responses need store=true", param="store", code="invalid_body"
        )
    return body


# ----------------------------------------------------------------------------- input items

_ROLES: dict[str, Role] = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",
}
# Output items a client may hand back as history: the agent's own session already holds them.
_DROPPED_ITEMS = frozenset(
    {"reasoning", "code_interpreter_call", "mcp_call", "mcp_list_tools", "image_generation_call"}
)


def parse_input(value: str | list[Any]) -> list[Message]:
    """``input`` (a string or a list of input items) as neutral messages."""
    if isinstance(value, str):
        return [Message.text(value)]
    messages = []
    for i, item in enumerate(value):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise invalid(where, "must be an object (an input item)")
        kind = item.get("type", "message")
        if kind in _DROPPED_ITEMS:
            continue
        if kind != "message":
            raise invalid(
                f"{where}.type",
                f"{kind!r} items are not supported: the agent runs its own tools and never "
                "asks the client to run a function",
            )
        role = _ROLES.get(item.get("role", ""))
        if role is None:
            raise invalid(f"{where}.role", f"must be one of {', '.join(_ROLES)}")
        content = item.get("content")
        if isinstance(content, str):
            parts: list[Part] = [TextPart(text=content)]
        elif isinstance(content, list):
            parts = [_part(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
        else:
            raise invalid(f"{where}.content", "must be a string or a list of content parts")
        messages.append(Message(role=role, parts=parts))
    if not messages:
        raise invalid("input", "has no message")
    return messages


def _part(part: Any, where: str) -> Part:
    if not isinstance(part, dict):
        raise invalid(where, "must be an object (a content part)")
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return TextPart(text=string(part, "text", where))
    if kind == "refusal":
        return TextPart(text=string(part, "refusal", where))
    if kind == "input_image":
        if part.get("file_id"):
            raise _no_file_ids(where)
        return image_from_url(string(part, "image_url", where), f"{where}.image_url")
    if kind == "input_file":
        if part.get("file_id"):
            raise _no_file_ids(where)
        name = part.get("filename")
        if part.get("file_data"):
            return file_from_data(string(part, "file_data", where), f"{where}.file_data", name)
        if part.get("file_url"):
            return file_from_url(string(part, "file_url", where), f"{where}.file_url", name)
        raise invalid(where, "an input_file needs file_data or file_url")
    raise invalid(f"{where}.type", f"unsupported content part type {kind!r}")


def _no_file_ids(where: str) -> HTTPProblem:
    return invalid(
        f"{where}.file_id",
        "file ids are not supported (this host has no files API); send the file inline "
        "as a data: URL or by http(s) URL",
    )
