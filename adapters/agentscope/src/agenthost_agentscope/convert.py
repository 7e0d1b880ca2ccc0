"""Neutral input to AgentScope input: messages as ``Msg``s, answers to a parked reply as events.

Files go in as ``DataBlock``s. Bytes become ``Base64Source``; an http(s) image stays a
``URLSource`` (the OpenAI formatter passes image URLs through). Any other file by URL becomes
a text note with the URL: AgentScope's OpenAI formatter would download it with a blocking
``requests.get`` inside the event loop (and read ``file://`` URLs from the host's disk).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Literal

from agentscope.event import (
    ConfirmResult,
    ExternalExecutionResultEvent,
    UserConfirmResultEvent,
)
from agentscope.message import (
    Base64Source,
    DataBlock,
    Msg,
    TextBlock,
    ToolCallBlock,
    ToolResultBlock,
    ToolResultState,
    URLSource,
)
from pydantic import AnyUrl

from agenthost.events import DataPart, FilePart, Message, TextPart

from .stream import call_summary


class AwaitingApproval(ValueError):
    """The session's reply is parked on a tool approval and the message is not an answer."""


def system_text(messages: list[Message]) -> str:
    """The text of the system messages (AgentScope takes none as input: they join the
    agent's system prompt)."""
    return "\n\n".join(m.text_content for m in messages if m.role == "system")


def to_msgs(messages: list[Message]) -> list[Msg]:
    """The non-system messages as AgentScope ``Msg``s (tool output reads as user content)."""
    out: list[Msg] = []
    for message in messages:
        if message.role == "system":
            continue
        role: Literal["user", "assistant"] = "assistant" if message.role == "assistant" else "user"
        blocks: list[Any] = [block for part in message.parts for block in _blocks(part)]
        out.append(Msg(name=role, role=role, content=blocks or [TextBlock(text="")]))
    return out


def _blocks(part: Any) -> list[TextBlock | DataBlock]:
    if isinstance(part, TextPart):
        return [TextBlock(text=part.text)]
    if isinstance(part, DataPart):
        return [TextBlock(text=json.dumps(part.data))]
    if isinstance(part, FilePart):
        return [_file_block(part)]
    return []


def _file_block(part: FilePart) -> TextBlock | DataBlock:
    if part.bytes is not None:
        if part.mime_type.startswith("text/"):
            name = f" {part.name}" if part.name else ""
            text = part.bytes.decode("utf-8", errors="replace")
            return TextBlock(text=f"<file{name}>\n{text}\n</file>")
        data = base64.b64encode(part.bytes).decode("ascii")
        source = Base64Source(data=data, media_type=part.mime_type)
        return DataBlock(source=source, name=part.name)
    uri = part.uri or ""
    if part.mime_type.startswith("image/") and uri.lower().startswith(("http://", "https://")):
        return DataBlock(
            source=URLSource(url=AnyUrl(uri), media_type=part.mime_type), name=part.name
        )
    name = f" named {part.name!r}" if part.name else ""
    return TextBlock(text=f"[a {part.mime_type} file{name} is attached at {uri}]")


# --------------------------------------------------------------------------- resuming

_YES = {"y", "yes", "approve", "approved", "allow", "allowed", "ok", "okay", "confirm", "accept"}
_NO = {"n", "no", "deny", "denied", "reject", "rejected", "decline", "declined", "refuse"}


def _verdict(message: Message | None, call_ids: list[str]) -> dict[str, bool] | None:
    """Approve/deny per call id from an answer, or None when it is not an answer."""
    if message is None:
        return None
    for part in message.parts:
        if isinstance(part, DataPart) and isinstance(part.data, dict) and "approved" in part.data:
            value = part.data["approved"]
            if isinstance(value, bool):
                return dict.fromkeys(call_ids, value)
            if isinstance(value, dict):
                return {c: bool(value.get(c, False)) for c in call_ids}
    word = re.sub(r"[^a-z]", "", message.text_content.strip().lower())
    if word in _YES:
        return dict.fromkeys(call_ids, True)
    if word in _NO:
        return dict.fromkeys(call_ids, False)
    return None


def resume_event(pending: dict[str, Any], message: Message | None, agent: str) -> Any:
    """The event that answers a parked request with the session's next message.

    Raises ``AwaitingApproval`` when the reply waits for an approval and ``message`` is
    neither a yes/no word nor a data part ``{"approved": ...}``.
    """
    blocks = [ToolCallBlock.model_validate(b) for b in pending["tool_calls"]]
    if pending["kind"] == "external":
        answer = _answer_text(message)
        results = [
            ToolResultBlock(id=b.id, name=b.name, output=answer, state=ToolResultState.SUCCESS)
            for b in blocks
        ]
        return ExternalExecutionResultEvent(reply_id=pending["reply_id"], execution_results=results)
    verdict = _verdict(message, [b.id for b in blocks])
    if verdict is None:
        calls = ", ".join(
            f"{c['name']}({json.dumps(c['arguments'])}) [call {c['call_id']}]"
            for c in map(call_summary, blocks)
        )
        raise AwaitingApproval(
            f"agent {agent!r} is waiting for approval of {calls} in this session: answer "
            '"approve" or "deny", or send a data part {"approved": true|false}'
        )
    confirms = [ConfirmResult(confirmed=verdict[b.id], tool_call=b) for b in blocks]
    return UserConfirmResultEvent(reply_id=pending["reply_id"], confirm_results=confirms)


def _answer_text(message: Message | None) -> str:
    if message is None:
        return ""
    for part in message.parts:
        if isinstance(part, DataPart):
            return json.dumps(part.data)
    return message.text_content
