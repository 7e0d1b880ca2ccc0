"""A run's neutral messages as the input of Agno's ``arun``.

One user message (the usual turn: the conversation is in Agno's session) goes in as its text,
with its images, audio, videos and files as ``arun``'s media arguments (Agno attaches them to
the user message). Several messages (a client that sends the whole history, as Chat
Completions does) go in as a list of Agno ``Message``s, each carrying its own media.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from agno.media import Audio, File, Image, Video
from agno.models.message import Message as AgnoMessage

from agenthost.events import DataPart, FilePart, Message, TextPart


@dataclass
class Media:
    """The files of a message, sorted by the ``arun`` argument that takes them."""

    images: list[Image] = field(default_factory=list)
    audio: list[Audio] = field(default_factory=list)
    videos: list[Video] = field(default_factory=list)
    files: list[File] = field(default_factory=list)

    def add(self, part: FilePart) -> None:
        kind = part.mime_type.split("/", 1)[0]
        source: dict[str, Any] = (
            {"content": part.bytes} if part.bytes is not None else {"url": part.uri}
        )
        if kind == "image":
            self.images.append(Image(mime_type=part.mime_type, **source))
        elif kind == "audio":
            self.audio.append(Audio(mime_type=part.mime_type, **source))
        elif kind == "video":
            self.videos.append(Video(mime_type=part.mime_type, **source))
        else:
            self.files.append(File(mime_type=part.mime_type, filename=part.name, **source))

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``arun`` (only the kinds present)."""
        return {name: value for name, value in vars(self).items() if value}


@dataclass
class AgnoInput:
    """What ``arun`` is called with: ``input`` plus media keyword arguments."""

    input: str | list[AgnoMessage]
    media: dict[str, Any] = field(default_factory=dict)


def message_text(message: Message) -> str:
    """Text and data parts as one text (data parts as JSON)."""
    pieces = []
    for part in message.parts:
        if isinstance(part, TextPart):
            pieces.append(part.text)
        elif isinstance(part, DataPart):
            pieces.append(json.dumps(part.data))
    return "".join(pieces)


def media_of(message: Message) -> Media:
    media = Media()
    for part in message.parts:
        if isinstance(part, FilePart):
            media.add(part)
    return media


def to_agno(messages: list[Message], instructions: str | None = None) -> AgnoInput:
    """The ``arun`` input for a run's new messages (and per-run instructions, if any)."""
    if len(messages) == 1 and messages[0].role == "user" and not instructions:
        only = messages[0]
        return AgnoInput(message_text(only), media_of(only).arguments())
    out: list[AgnoMessage] = []
    if instructions:
        out.append(AgnoMessage(role="system", content=instructions))
    for message in messages:
        # A neutral "tool" message has no tool_call_id to pair it with: the model reads it as
        # content the user supplied.
        role = message.role if message.role in ("user", "assistant", "system") else "user"
        out.append(
            AgnoMessage(role=role, content=message_text(message), **media_of(message).arguments())
        )
    return AgnoInput(out)
