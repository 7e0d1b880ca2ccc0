"""The neutral model every arrow of the data path carries.

Frontends translate wire formats to and from these types; adapters translate a framework's
stream to them. Nothing here knows a protocol or a framework.

Events are built by adapters without ``run_id`` and ``seq``; the run registry stamps both
(``seq`` is monotonic per run, starting at 0 with ``run.started``).
"""

from __future__ import annotations

import base64
import binascii
import builtins
import mimetypes
import urllib.parse
import uuid
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_serializer, field_validator

Role = Literal["user", "assistant", "system", "tool"]


def new_id(prefix: str) -> str:
    """A short random id with a readable prefix (``r_`` run, ``m_`` message, ...)."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


# --------------------------------------------------------------------------- parts


class TextPart(_Model):
    type: Literal["text"] = "text"
    text: str


class DataPart(_Model):
    type: Literal["data"] = "data"
    data: Any


class FilePart(_Model):
    """A file by value (``bytes``, base64 on the wire) or by reference (``uri``)."""

    type: Literal["file"] = "file"
    name: str | None = None
    mime_type: str = "application/octet-stream"
    bytes: builtins.bytes | None = None
    uri: str | None = None

    @field_validator("bytes", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        if isinstance(value, str):
            return base64.b64decode(value)
        return value

    @field_serializer("bytes")
    def _encode(self, value: builtins.bytes | None) -> str | None:
        return None if value is None else base64.b64encode(value).decode("ascii")

    @classmethod
    def from_url(
        cls, url: str, *, name: str | None = None, mime_type: str | None = None
    ) -> FilePart:
        """A file from a URL: ``data:`` URLs are decoded to bytes, http(s) URLs kept as ``uri``.

        Raises ValueError for a malformed data URL or another scheme (``file:`` and the like
        would let a client point an agent at the host's own files).
        """
        if url.startswith("data:"):
            header, sep, payload = url[5:].partition(",")
            if not sep:
                raise ValueError("malformed data URL: no ',' before the data")
            meta = header.split(";")
            try:
                data = (
                    base64.b64decode(payload, validate=True)
                    if "base64" in meta[1:]
                    else urllib.parse.unquote_to_bytes(payload)
                )
            except binascii.Error as exc:
                raise ValueError(f"malformed data URL: {exc}") from None
            mime = meta[0] or mime_type or "text/plain"
            return cls(name=name, mime_type=mime, bytes=data)
        scheme = url.partition(":")[0].lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"unsupported URL scheme {scheme!r}: use http(s) or a data: URL")
        guessed = mimetypes.guess_type(url)[0]
        return cls(name=name, mime_type=mime_type or guessed or "application/octet-stream", uri=url)


Part: TypeAlias = Annotated[TextPart | DataPart | FilePart, Field(discriminator="type")]


class Message(_Model):
    id: str = Field(default_factory=lambda: new_id("m"))
    role: Role = "user"
    parts: list[Part] = Field(default_factory=list)
    # Who spoke, in a multi-agent run (a team member, a workflow step); None: the agent itself.
    name: str | None = None

    @classmethod
    def text(cls, text: str, role: Role = "user") -> Message:
        return cls(role=role, parts=[TextPart(text=text)])

    @property
    def text_content(self) -> str:
        """The concatenated text parts: what most agents want from a message."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))


ANONYMOUS_ID = "anonymous"


class Principal(_Model):
    """An authenticated identity, resolved once per request by the host's auth layer.

    ``id`` owns every record the request creates (runs, sessions, sandboxes, tasks,
    responses); ``scopes`` grant extras (``admin``); ``claims`` are the raw token claims.
    With no authenticator configured every request is the ``anonymous`` principal.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = ""
    scopes: frozenset[str] = frozenset()
    claims: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes

    def key(self, name: str) -> str:
        """``name`` (a session id, say) made unique to this principal.

        The anonymous principal's keys are the names themselves (a host without auth has one
        tenant); another principal's are prefixed with its percent-encoded id, so no choice
        of names by two principals can collide.
        """
        if self.id == ANONYMOUS_ID:
            return name
        return f"{urllib.parse.quote(self.id, safe='')}/{name}"

    def __hash__(self) -> int:
        return hash(self.id)


ANONYMOUS = Principal(id=ANONYMOUS_ID, name="anonymous")


class RunInput(_Model):
    """What one run is asked to do: the new messages of one turn of a session.

    ``principal`` is set by the host from the request's credentials, never from its body;
    ``user_id`` is metadata a client may send (it grants nothing).
    """

    agent: str = ""
    messages: list[Message] = Field(default_factory=list)
    session_id: str | None = None
    principal: Principal = ANONYMOUS
    user_id: str | None = None
    instructions: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @property
    def text(self) -> str:
        """Text of the last user message (the common case of a one-message turn)."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text_content
        return ""


class Usage(_Model):
    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


# --------------------------------------------------------------------------- events


class _Event(_Model):
    run_id: str = ""
    seq: int = -1


class RunStarted(_Event):
    type: Literal["run.started"] = "run.started"
    agent: str = ""
    session_id: str | None = None


class MessageDelta(_Event):
    type: Literal["message.delta"] = "message.delta"
    message_id: str = ""
    text: str


class ReasoningDelta(_Event):
    type: Literal["reasoning.delta"] = "reasoning.delta"
    message_id: str = ""
    text: str


class MessageCompleted(_Event):
    type: Literal["message.completed"] = "message.completed"
    message: Message


class ToolCall(_Event):
    type: Literal["tool.call"] = "tool.call"
    call_id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolResult(_Event):
    type: Literal["tool.result"] = "tool.result"
    call_id: str
    name: str | None = None
    output: Any = None
    is_error: bool = False


class Artifact(_Event):
    type: Literal["artifact"] = "artifact"
    part: Part
    call_id: str | None = None


class UsageEvent(_Event):
    type: Literal["usage"] = "usage"
    usage: Usage


class InputRequired(_Event):
    """The agent waits for the user; the run then ends with ``run.completed``."""

    type: Literal["run.input_required"] = "run.input_required"
    prompt: str = ""
    payload: Any = None


class RunCompleted(_Event):
    type: Literal["run.completed"] = "run.completed"
    output: list[Message] = Field(default_factory=list)
    usage: Usage | None = None


class RunFailed(_Event):
    type: Literal["run.failed"] = "run.failed"
    code: str = "agent_error"
    message: str = ""


class RunCancelled(_Event):
    type: Literal["run.cancelled"] = "run.cancelled"
    reason: str = ""


Event: TypeAlias = Annotated[
    RunStarted
    | MessageDelta
    | ReasoningDelta
    | MessageCompleted
    | ToolCall
    | ToolResult
    | Artifact
    | UsageEvent
    | InputRequired
    | RunCompleted
    | RunFailed
    | RunCancelled,
    Field(discriminator="type"),
]
TerminalEvent: TypeAlias = RunCompleted | RunFailed | RunCancelled
TERMINAL_TYPES = frozenset({"run.completed", "run.failed", "run.cancelled"})

event_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: str | bytes | dict[str, Any]) -> Event:
    """Parse one event from JSON text or a dict (the inverse of ``event.model_dump_json()``)."""
    if isinstance(data, dict):
        return event_adapter.validate_python(data)
    return event_adapter.validate_json(data)


def merge_deltas(batch: list[Any]) -> list[Any]:
    """``batch`` with each run of consecutive text deltas of one message merged into one.

    For frontends whose per-chunk cost is high (A2A's artifact updates go through the task
    store): a burst of tokens that arrived together then costs one update, not one per token.
    """
    out: list[Any] = []
    for event in batch:
        last = out[-1] if out else None
        if (
            last is not None
            and event.type == last.type
            and event.type in ("message.delta", "reasoning.delta")
            and event.message_id == last.message_id
        ):
            out[-1] = last.model_copy(update={"text": last.text + event.text, "seq": event.seq})
        else:
            out.append(event)
    return out


def is_terminal(event: _Event) -> bool:
    return getattr(event, "type", "") in TERMINAL_TYPES


__all__ = [
    "ANONYMOUS",
    "TERMINAL_TYPES",
    "Artifact",
    "DataPart",
    "Event",
    "FilePart",
    "InputRequired",
    "Message",
    "MessageCompleted",
    "MessageDelta",
    "Part",
    "Principal",
    "ReasoningDelta",
    "Role",
    "RunCancelled",
    "RunCompleted",
    "RunFailed",
    "RunInput",
    "RunStarted",
    "TerminalEvent",
    "TextPart",
    "ToolCall",
    "ToolResult",
    "Usage",
    "UsageEvent",
    "event_adapter",
    "is_terminal",
    "merge_deltas",
    "new_id",
    "parse_event",
]
