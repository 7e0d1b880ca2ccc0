"""``POST /v1/chat/completions`` bodies: validation, the parameter policy, messages → neutral.

The parameter policy is ``agenthost.params``: a parameter is used, accepted because it cannot
change the answer, or accepted only at its neutral value (an agent is not a sampling model);
anything else is a 400 naming it, unless the operator lists it in ``ignore_params``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agenthost.events import Message, Part, Role, TextPart
from agenthost.params import Check, ParamPolicy, empty, equals, number
from agenthost.parts import file_from_data, image_from_url, invalid, string


class ChatStreamOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    include_usage: bool | None = None
    include_obfuscation: bool | None = None


class ChatBody(BaseModel):
    """The parameters the frontend uses; the rest go through ``POLICY``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    model: str = Field(min_length=1)
    messages: list[Any] = Field(min_length=1)
    stream: bool | None = False
    stream_options: ChatStreamOptions | None = None
    metadata: dict[str, str] | None = None
    user: str | None = None
    safety_identifier: str | None = None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)


def _text_format(value: Any) -> bool:
    return value is None or value == {"type": "text"}


# Parameters accepted only at their neutral value: (check, what is accepted).
_NEUTRAL: dict[str, tuple[Check, str]] = {
    "temperature": (number(1), "1 or null"),
    "top_p": (number(1), "1 or null"),
    "presence_penalty": (number(0), "0 or null"),
    "frequency_penalty": (number(0), "0 or null"),
    "n": (number(1), "1 or null"),
    "max_tokens": (equals(None), "null"),
    "max_completion_tokens": (equals(None), "null"),
    "stop": (empty, "null"),
    "seed": (equals(None), "null"),
    "logprobs": (equals(None, False), "false or null"),
    "top_logprobs": (number(0), "0 or null"),
    "logit_bias": (empty, "null or {}"),
    "tools": (empty, "an empty list: agents run their own tools"),
    "tool_choice": (equals(None, "auto", "none"), "'auto', 'none' or null"),
    "functions": (empty, "an empty list: agents run their own tools"),
    "function_call": (equals(None, "auto", "none"), "'auto', 'none' or null"),
    "response_format": (_text_format, "{'type': 'text'}"),
    "modalities": (lambda v: v in (None, ["text"]), "['text']"),
    "audio": (equals(None), "null"),
    "prediction": (equals(None), "null"),
    "reasoning_effort": (equals(None), "null"),
    "verbosity": (equals(None, "medium"), "'medium' or null"),
    "web_search_options": (equals(None), "null"),
    "moderation": (equals(None), "null"),
    "store": (equals(None, False), "false or null: stored chat completions are not supported"),
}
POLICY = ParamPolicy(
    section="frontends.chat",
    used=frozenset(ChatBody.model_fields),
    # Parameters that cannot change an agent's answer: accepted and documented as no-ops.
    no_effect=frozenset(
        {
            "parallel_tool_calls",  # only concerns client-side functions, which are refused
            "service_tier",
            "prompt_cache_key",
            "prompt_cache_options",
            "prompt_cache_retention",
        }
    ),
    neutral=_NEUTRAL,
)


def parse_chat(data: Any, ignore_params: frozenset[str] = frozenset()) -> ChatBody:
    """Validate a chat completion body; raises HTTPProblem 400 naming the offending parameter."""
    return POLICY.parse(data, ChatBody, ignore_params)


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
            raise invalid(where, "must be an object")
        role_name = item.get("role")
        if role_name in ("tool", "function") or item.get("tool_calls") or item.get("function_call"):
            raise invalid(
                f"{where}.role" if role_name in ("tool", "function") else f"{where}.tool_calls",
                "tool and function messages are not supported: the agent runs its own tools "
                "and never asks the client to run one",
            )
        role = _ROLES.get(role_name) if isinstance(role_name, str) else None
        if role is None:
            raise invalid(f"{where}.role", f"must be one of {', '.join(_ROLES)}")
        content = item.get("content")
        if content is None and role == "assistant":
            refusal = item.get("refusal")
            if refusal is not None and not isinstance(refusal, str):
                raise invalid(f"{where}.refusal", "must be a string")
            parts: list[Part] = [TextPart(text=refusal or "")]
        elif isinstance(content, str):
            parts = [TextPart(text=content)]
        elif isinstance(content, list):
            parts = [_part(p, f"{where}.content[{j}]") for j, p in enumerate(content)]
        else:
            raise invalid(f"{where}.content", "must be a string or a list of content parts")
        messages.append(Message(role=role, parts=parts))
    return messages


def _part(part: Any, where: str) -> Part:
    if not isinstance(part, dict):
        raise invalid(where, "must be an object (a content part)")
    kind = part.get("type")
    if kind == "text":
        return TextPart(text=string(part, "text", where))
    if kind == "refusal":
        return TextPart(text=string(part, "refusal", where))
    if kind == "image_url":
        spec = part.get("image_url")
        url = spec.get("url") if isinstance(spec, dict) else spec
        if not isinstance(url, str):
            raise invalid(f"{where}.image_url.url", "must be a string")
        return image_from_url(url, f"{where}.image_url.url")
    if kind == "file":
        spec = part.get("file")
        if not isinstance(spec, dict):
            raise invalid(f"{where}.file", "must be an object")
        if spec.get("file_id"):
            raise invalid(
                f"{where}.file.file_id",
                "file ids are not supported (this host has no files API); "
                "send the file inline as file_data",
            )
        data = spec.get("file_data")
        if not isinstance(data, str):
            raise invalid(f"{where}.file.file_data", "must be a string (base64 or a data: URL)")
        return file_from_data(data, f"{where}.file.file_data", spec.get("filename"))
    raise invalid(f"{where}.type", f"unsupported content part type {kind!r}")
