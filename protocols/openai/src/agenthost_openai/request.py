"""``POST /v1/chat/completions`` bodies: validation, the parameter policy, messages → neutral.

As in the Responses frontend: a parameter is used, accepted because it cannot change the
answer, or accepted only at its neutral value (an agent is not a sampling model); anything else
is a 400 naming it, unless the operator lists it in ``ignore_params``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agenthost.events import FilePart, Message, Part, Role, TextPart
from agenthost.http import HTTPProblem, validation_problem


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class ChatBody(BaseModel):
    """The parameters the frontend uses; the rest go through ``POLICY``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str = Field(min_length=1)
    messages: list[Any] = Field(min_length=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    metadata: dict[str, str] | None = None
    user: str | None = None
    safety_identifier: str | None = None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


def _is(*neutral: Any) -> Callable[[Any], bool]:
    return lambda value: any(value == n and type(value) is type(n) for n in neutral)


def _number(neutral: float) -> Callable[[Any], bool]:
    return lambda value: (
        value is None
        or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == neutral)
    )


def _text_format(value: Any) -> bool:
    return value is None or value == {"type": "text"}


_USED = frozenset(ChatBody.model_fields)
# Parameters that cannot change an agent's answer: accepted and documented as no-ops.
_NO_EFFECT = frozenset(
    {
        "parallel_tool_calls",  # only concerns client-side functions, which are refused
        "service_tier",
        "prompt_cache_key",
        "prompt_cache_options",
        "prompt_cache_retention",
    }
)
POLICY: dict[str, tuple[Callable[[Any], bool], str]] = {
    "temperature": (_number(1), "1 or null"),
    "top_p": (_number(1), "1 or null"),
    "presence_penalty": (_number(0), "0 or null"),
    "frequency_penalty": (_number(0), "0 or null"),
    "n": (_number(1), "1 or null"),
    "max_tokens": (_is(None), "null"),
    "max_completion_tokens": (_is(None), "null"),
    "stop": (lambda v: not v, "null"),
    "seed": (_is(None), "null"),
    "logprobs": (_is(None, False), "false or null"),
    "top_logprobs": (_number(0), "0 or null"),
    "logit_bias": (lambda v: not v, "null or {}"),
    "tools": (lambda v: not v, "an empty list: agents run their own tools"),
    "tool_choice": (_is(None, "auto", "none"), "'auto', 'none' or null"),
    "functions": (lambda v: not v, "an empty list: agents run their own tools"),
    "function_call": (_is(None, "auto", "none"), "'auto', 'none' or null"),
    "response_format": (_text_format, "{'type': 'text'}"),
    "modalities": (lambda v: v in (None, ["text"]), "['text']"),
    "audio": (_is(None), "null"),
    "prediction": (_is(None), "null"),
    "reasoning_effort": (_is(None), "null"),
    "verbosity": (_is(None, "medium"), "'medium' or null"),
    "web_search_options": (_is(None), "null"),
    "moderation": (_is(None), "null"),
    "store": (_is(None, False), "false or null: stored chat completions are not supported"),
}
KNOWN_PARAMS = _USED | _NO_EFFECT | frozenset(POLICY)


def parse_chat(data: Any, ignore_params: frozenset[str] = frozenset()) -> ChatBody:
    """Validate a chat completion body; raises HTTPProblem 400 naming the offending parameter."""
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
                f"ignore it with ignore_params = [{name!r}] in [frontends.chat]",
                param=name,
                code="unsupported_parameter",
            )
    try:
        return ChatBody.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
}


def parse_messages(raw: list[Any]) -> list[Message]:
    """Chat ``messages`` as neutral messages (text, image and file parts)."""
    messages = []
    for i, item in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise _bad(where, "must be an object")
        role_name = item.get("role")
        if role_name in ("tool", "function") or item.get("tool_calls") or item.get("function_call"):
            raise _bad(
                f"{where}.role" if role_name in ("tool", "function") else f"{where}.tool_calls",
                "tool and function messages are not supported: the agent runs its own tools "
                "and never asks the client to run one",
            )
        role = _ROLES.get(role_name or "")
        if role is None:
            raise _bad(f"{where}.role", f"must be one of {', '.join(_ROLES)}")
        content = item.get("content")
        if content is None and role == "assistant":
            parts: list[Part] = [TextPart(text=item.get("refusal") or "")]
        elif isinstance(content, str):
            parts = [TextPart(text=content)]
        elif isinstance(content, list):
            parts = [_part(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
        else:
            raise _bad(f"{where}.content", "must be a string or a list of content parts")
        messages.append(Message(role=role, parts=parts))
    return messages


def _part(part: Any, where: str) -> Part:
    if not isinstance(part, dict):
        raise _bad(where, "must be an object (a content part)")
    kind = part.get("type")
    if kind == "text":
        return TextPart(text=_str(part, "text", where))
    if kind == "refusal":
        return TextPart(text=_str(part, "refusal", where))
    if kind == "image_url":
        spec = part.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        if not isinstance(url, str):
            raise _bad(f"{where}.image_url.url", "must be a string")
        image = _from_url(url, f"{where}.image_url.url")
        if not image.mime_type.startswith("image/"):
            image.mime_type = "image/*"
        return image
    if kind == "file":
        spec = part.get("file")
        if not isinstance(spec, dict):
            raise _bad(f"{where}.file", "must be an object")
        if spec.get("file_id"):
            raise _bad(
                f"{where}.file.file_id",
                "file ids are not supported (this host has no files API); "
                "send the file inline as file_data",
            )
        data = spec.get("file_data")
        if not isinstance(data, str):
            raise _bad(f"{where}.file.file_data", "must be a string (base64 or a data: URL)")
        name = spec.get("filename")
        if data.startswith("data:"):
            return _from_url(data, f"{where}.file.file_data", name)
        try:
            return FilePart(name=name, bytes=base64.b64decode(data, validate=True))
        except binascii.Error:
            raise _bad(f"{where}.file.file_data", "is not base64 or a data: URL") from None
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


def _bad(param: str, message: str) -> HTTPProblem:
    return HTTPProblem(400, f"{param}: {message}", param=param, code="invalid_body")
