"""``POST /v1/responses`` bodies: validation, the parameter policy, input items → messages.

Every parameter of the Responses API is either used, accepted because it cannot change the
answer, or accepted only at its neutral value (``temperature`` 1, ``tools`` empty, ...): an
agent is not a sampling model, so a value the host would have to ignore is refused with a 400
naming it, unless the operator lists it in ``ignore_params``. Unknown parameters are refused too.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agenthost.events import FilePart, Message, Part, Role, TextPart
from agenthost.http import HTTPProblem, validation_problem


class ConversationRef(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    include_obfuscation: bool | None = None


class CreateBody(BaseModel):
    """The parameters the frontend uses; the rest go through ``POLICY``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str = Field(min_length=1)
    input: str | list[Any]
    instructions: str | None = None
    previous_response_id: str | None = None
    conversation: str | ConversationRef | None = None
    store: bool | None = True
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    background: bool | None = False
    metadata: dict[str, str] | None = None
    user: str | None = None
    safety_identifier: str | None = None

    @property
    def conversation_id(self) -> str | None:
        if isinstance(self.conversation, ConversationRef):
            return self.conversation.id
        return self.conversation


def _none(value: Any) -> bool:
    return value is None


def _one(value: Any) -> bool:
    return value is None or (
        isinstance(value, (int, float)) and not isinstance(value, bool) and value == 1
    )


def _empty(value: Any) -> bool:
    return not value


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


_USED = frozenset(CreateBody.model_fields) | {"stream"}
# Parameters that cannot change an agent's answer: accepted and documented as no-ops.
_NO_EFFECT = frozenset(
    {
        "parallel_tool_calls",  # only concerns client-side functions, which are refused
        "truncation",  # the agent manages its own context
        "service_tier",
        "prompt_cache_key",
        "prompt_cache_retention",
        "prompt_cache_options",
        "context_management",
    }
)
# Parameters accepted only at their neutral value: (check, what is accepted).
POLICY: dict[str, tuple[Callable[[Any], bool], str]] = {
    "temperature": (_one, "1 or null"),
    "top_p": (_one, "1 or null"),
    "top_logprobs": (lambda v: v is None or (type(v) is int and v == 0), "0 or null"),
    "max_output_tokens": (_none, "null"),
    "max_tool_calls": (_none, "null"),
    "tools": (_empty, "an empty list: agents run their own tools"),
    "tool_choice": (lambda v: v is None or v == "auto", "'auto'"),
    "text": (_plain_text, "format 'text'"),
    "reasoning": (_no_effort, "no 'effort'"),
    "include": (_include, "anything but 'message.output_text.logprobs'"),
    "prompt": (_none, "null: prompt templates are not supported"),
    "moderation": (_none, "null"),
    "image": (_none, "null"),
    "access_programs": (_none, "null"),
}
KNOWN_PARAMS = _USED | _NO_EFFECT | frozenset(POLICY)


def parse_create(data: Any, ignore_params: frozenset[str] = frozenset()) -> CreateBody:
    """Validate a create body; raises HTTPProblem 400 naming the first offending parameter."""
    if not isinstance(data, dict):
        raise HTTPProblem(400, "request body must be a JSON object", code="invalid_body")
    for name, value in data.items():
        if name not in KNOWN_PARAMS:
            raise HTTPProblem(
                400, f"unknown parameter: {name!r}", param=name, code="unknown_parameter"
            )
        rule = POLICY.get(name)
        if rule is not None and name not in ignore_params and not rule[0](value):
            raise HTTPProblem(
                400,
                f"{name}: {value!r} is not supported: the model is an agent, and this value "
                f"would change its answer (accepted: {rule[1]}); an operator may accept and "
                f"ignore it with ignore_params = [{name!r}] in [frontends.responses]",
                param=name,
                code="unsupported_parameter",
            )
    try:
        body = CreateBody.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None
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
            raise _bad(where, "must be an object (an input item)")
        kind = item.get("type", "message")
        if kind in _DROPPED_ITEMS:
            continue
        if kind != "message":
            raise _bad(
                f"{where}.type",
                f"{kind!r} items are not supported: the agent runs its own tools and never "
                "asks the client to run a function",
            )
        role = _ROLES.get(item.get("role", ""))
        if role is None:
            raise _bad(f"{where}.role", f"must be one of {', '.join(_ROLES)}")
        content = item.get("content")
        if isinstance(content, str):
            parts: list[Part] = [TextPart(text=content)]
        elif isinstance(content, list):
            parts = [_part(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
        else:
            raise _bad(f"{where}.content", "must be a string or a list of content parts")
        messages.append(Message(role=role, parts=parts))
    if not messages:
        raise _bad("input", "has no message")
    return messages


def _part(part: Any, where: str) -> Part:
    if not isinstance(part, dict):
        raise _bad(where, "must be an object (a content part)")
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text"):
        return TextPart(text=_str(part, "text", where))
    if kind == "refusal":
        return TextPart(text=_str(part, "refusal", where))
    if kind == "input_image":
        if part.get("file_id"):
            raise _no_file_ids(where)
        url = _str(part, "image_url", where)
        image = _from_url(url, f"{where}.image_url")
        if not image.mime_type.startswith("image/"):
            image.mime_type = "image/*"
        return image
    if kind == "input_file":
        if part.get("file_id"):
            raise _no_file_ids(where)
        name = part.get("filename")
        if part.get("file_data"):
            data = _str(part, "file_data", where)
            if data.startswith("data:"):
                return _from_url(data, f"{where}.file_data", name)
            try:
                raw = base64.b64decode(data, validate=True)
            except binascii.Error:
                raise _bad(f"{where}.file_data", "is not base64 or a data: URL") from None
            return FilePart(name=name, bytes=raw)
        if part.get("file_url"):
            return _from_url(_str(part, "file_url", where), f"{where}.file_url", name)
        raise _bad(where, "an input_file needs file_data or file_url")
    raise _bad(f"{where}.type", f"unsupported content part type {kind!r}")


def _from_url(url: str, where: str, name: str | None = None) -> FilePart:
    try:
        return FilePart.from_url(url, name=name)
    except ValueError as exc:
        raise _bad(where, str(exc)) from None


def _str(part: dict[str, Any], key: str, where: str) -> str:
    value = part.get(key)
    if not isinstance(value, str):
        raise _bad(f"{where}.{key}", "must be a string")
    return value


def _no_file_ids(where: str) -> HTTPProblem:
    return _bad(
        f"{where}.file_id",
        "file ids are not supported (this host has no files API); send the file inline "
        "as a data: URL or by http(s) URL",
    )


def _bad(param: str, message: str) -> HTTPProblem:
    return HTTPProblem(400, f"{param}: {message}", param=param, code="invalid_body")
