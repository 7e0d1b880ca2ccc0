"""Neutral parts and messages ⇄ A2A protobuf ``Part`` / ``Message``."""

from __future__ import annotations

from typing import Any

from a2a.types import Message as A2AMessage
from a2a.types import Part as A2APart
from a2a.types import Role as A2ARole
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict, ParseDict

from agenthost.events import DataPart, FilePart, Message, Part, Role, TextPart, new_id


def part_from_a2a(part: A2APart) -> Part:
    """One A2A part as a neutral part (text, data, or a file by value or by URL)."""
    kind = part.WhichOneof("content")
    if kind == "text":
        return TextPart(text=part.text)
    if kind == "data":
        return DataPart(data=MessageToDict(part.data))
    name = part.filename or None
    mime = part.media_type or "application/octet-stream"
    if kind == "raw":
        return FilePart(name=name, mime_type=mime, bytes=part.raw)
    if kind == "url":
        return FilePart(name=name, mime_type=mime, uri=part.url)
    return TextPart(text="")


def part_to_a2a(part: Part) -> A2APart:
    """One neutral part as an A2A part."""
    if isinstance(part, TextPart):
        return A2APart(text=part.text)
    if isinstance(part, DataPart):
        return A2APart(data=ParseDict(_jsonable(part.data), struct_pb2.Value()))
    file_fields: dict[str, Any] = {"media_type": part.mime_type, "filename": part.name or ""}
    if part.bytes is not None:
        return A2APart(raw=part.bytes, **file_fields)
    return A2APart(url=part.uri or "", **file_fields)


def message_from_a2a(message: A2AMessage) -> Message:
    """A client's A2A message as a neutral user message (its id kept)."""
    role: Role = "assistant" if message.role == A2ARole.ROLE_AGENT else "user"
    return Message(
        id=message.message_id or new_id("m"),
        role=role,
        parts=[part_from_a2a(p) for p in message.parts],
    )


def agent_message(
    parts: list[A2APart], *, task_id: str, context_id: str, message_id: str | None = None
) -> A2AMessage:
    """An A2A message from the agent on a task."""
    return A2AMessage(
        message_id=message_id or new_id("m"),
        role=A2ARole.ROLE_AGENT,
        task_id=task_id,
        context_id=context_id,
        parts=parts,
    )


def data_part(value: Any) -> A2APart:
    return A2APart(data=ParseDict(_jsonable(value), struct_pb2.Value()))


def _jsonable(value: Any) -> Any:
    """What ``ParseDict`` into a ``Value`` accepts: JSON types only (others become strings)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return _jsonable(value.model_dump(mode="json"))
    return str(value)
