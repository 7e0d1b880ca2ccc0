"""Reading content parts out of a JSON request body by hand, for frontends; and the neutral
events every framework adapter's stream translator builds from its framework's parts.

Every error is a 400 ``invalid_body`` whose ``param`` is the JSON path of the offending value
(``messages[0].content[1].file.file_data``), so a client sees exactly what to fix.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .events import FilePart, Message, MessageCompleted, TextPart, Usage, UsageEvent
from .http import HTTPProblem


def invalid(param: str, message: str) -> HTTPProblem:
    """A 400 ``invalid_body`` saying ``param: message``."""
    return HTTPProblem(400, f"{param}: {message}", param=param, code="invalid_body")


def string(obj: dict[str, Any], key: str, where: str) -> str:
    """``obj[key]``, which must be a string (``where`` is the path of ``obj``)."""
    value = obj.get(key)
    if not isinstance(value, str):
        raise invalid(f"{where}.{key}", "must be a string")
    return value


def file_from_url(url: str, where: str, name: str | None = None) -> FilePart:
    """A file from a ``data:`` or http(s) URL found at ``where``."""
    try:
        return FilePart.from_url(url, name=name)
    except ValueError as exc:
        raise invalid(where, str(exc)) from None


def image_from_url(url: str, where: str) -> FilePart:
    """An image from a URL; typed ``image/*`` when the URL does not say which image type."""
    image = file_from_url(url, where)
    if not image.mime_type.startswith("image/"):
        image.mime_type = "image/*"
    return image


def file_from_data(data: str, where: str, name: str | None = None) -> FilePart:
    """A file sent inline: a ``data:`` URL or plain base64."""
    if data.startswith("data:"):
        return file_from_url(data, where, name)
    try:
        return FilePart(name=name, bytes=base64.b64decode(data, validate=True))
    except binascii.Error:
        raise invalid(where, "is not base64 or a data: URL") from None


# --------------------------------------------------------------------------- for adapters


def text_completed(message_id: str, text: str, name: str | None = None) -> MessageCompleted:
    """The ``message.completed`` of an assistant answer made of one text part (``name``: the
    member that said it, in a multi-agent run)."""
    message = Message(id=message_id, role="assistant", parts=[TextPart(text=text)], name=name)
    return MessageCompleted(message=message)


def usage_event(
    input_tokens: int, output_tokens: int, total_tokens: int | None = None
) -> UsageEvent:
    """A ``usage`` event for one model call (the total is input + output unless given)."""
    if total_tokens is None:
        total_tokens = input_tokens + output_tokens
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens, total_tokens=total_tokens)
    return UsageEvent(usage=usage)


__all__ = [
    "file_from_data",
    "file_from_url",
    "image_from_url",
    "invalid",
    "string",
    "text_completed",
    "usage_event",
]
