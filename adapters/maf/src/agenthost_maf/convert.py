"""Neutral messages to MAF messages, and a MAF update stream to neutral events.

MAF streams ``AgentResponseUpdate``s (``role``, ``contents``, ``author_name``, ``message_id``).
What needs care:

- a tool call's arguments may arrive as several ``function_call`` contents sharing one call
  id (the real OpenAI client streams them so): they are joined into one ``tool.call``;
- results come as one ``tool``-role update holding a ``function_result`` per call;
- usage contents after the first model call are run-wide running totals
  (``merge_mode="replace"``): only the growth since the last one is reported, so the host's
  sum is the true total;
- custom chat clients give no ``message_id``: a new assistant message starts after tool
  results, after tool calls, and when another member (``author_name``) speaks;
- a workflow's member messages carry the member's ``author_name`` as ``Message.name`` (a
  single agent's updates carry its own name too, which is left out: it is the agent itself).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from agent_framework import Content
from agent_framework import Message as MafMessage

from agenthost.events import (
    Artifact,
    DataPart,
    FilePart,
    InputRequired,
    Message,
    MessageDelta,
    ReasoningDelta,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
    new_id,
)
from agenthost.parts import text_completed

# --------------------------------------------------------------------------- input


def to_maf(messages: Iterable[Message]) -> list[MafMessage]:
    """Neutral messages as MAF messages: text, data (as JSON text), images and files."""
    out = []
    for message in messages:
        # A neutral "tool" message carries no call id, so the model reads it as user content.
        role = message.role if message.role in ("user", "assistant", "system") else "user"
        out.append(MafMessage(role=role, contents=[_content(p) for p in message.parts]))
    return out


def _content(part: Any) -> Content:
    if isinstance(part, TextPart):
        return Content.from_text(part.text)
    if isinstance(part, DataPart):
        return Content.from_text(json.dumps(part.data))
    if part.bytes is not None:
        return Content.from_data(part.bytes, part.mime_type, name=part.name)
    return Content.from_uri(part.uri or "", media_type=part.mime_type, name=part.name)


APPROVING_WORDS = frozenset({"y", "yes", "ok", "okay", "approve", "approved", "allow", "go"})


def approves(message: Message | None) -> bool:
    """Whether the user's answer to an approval request approves: a data part's ``approved``
    when there is one, else a yes-like text (anything else denies)."""
    if message is None:
        return False
    for part in message.parts:
        if isinstance(part, DataPart) and isinstance(part.data, dict) and "approved" in part.data:
            return bool(part.data["approved"])
    return message.text_content.strip().strip(".!").lower() in APPROVING_WORDS


# --------------------------------------------------------------------------- output


class StreamTranslator:
    """Turns one run's ``AgentResponseUpdate``s into neutral events."""

    def __init__(
        self,
        denied: Iterable[str] = (),
        tool_errors: list[str] | None = None,
        members: bool = False,
    ) -> None:
        self._members = members  # a workflow: its messages are named after their author
        self._denied = set(denied)  # call ids the user refused: their results are errors
        self._tool_errors = tool_errors if tool_errors is not None else []
        self._message_id: str | None = None
        self._text: list[str] = []
        self._author: str | None = None
        self._provider_id: str | None = None
        self._calls: dict[str, dict[str, Any]] = {}  # call id -> name, argument fragments
        self._names: dict[str, str] = {}
        self._usage: dict[str, Usage] = {}  # per member: the total reported so far
        self.approvals: list[Content] = []
        """``function_approval_request`` contents the run ended waiting on."""

    # -- updates -----------------------------------------------------------------------

    def feed(self, update: Any) -> list[Any]:
        events: list[Any] = []
        author = update.author_name
        boundary = update.role == "tool" or author != self._author
        if update.message_id and update.message_id != self._provider_id:
            boundary = boundary or self._provider_id is not None
            self._provider_id = update.message_id
        if boundary:
            events.extend(self._close_message())
        self._author = author
        for content in update.contents:
            if content.type != "function_call":
                events.extend(self._flush_calls())
            events.extend(self._on_content(content, author or ""))
        return events

    def finish(self) -> list[Any]:
        """The events the end of the stream completes (open message, calls, approvals)."""
        events = [*self._flush_calls(), *self._close_message()]
        if self.approvals:
            calls = [_approval_call(a) for a in self.approvals]
            names = ", ".join(c["name"] for c in calls)
            events.append(
                InputRequired(
                    prompt=f"Approve calling {names}? (yes/no)",
                    payload={"type": "approval", "calls": calls},
                )
            )
        return events

    def _on_content(self, content: Content, author: str) -> list[Any]:
        kind = content.type
        if kind == "text" and content.text:
            self._text.append(content.text)
            return [MessageDelta(message_id=self._current_id(), text=content.text)]
        if kind == "text_reasoning" and content.text:
            return [ReasoningDelta(message_id=self._current_id(), text=content.text)]
        if kind == "function_call":
            return self._on_call_fragment(content)
        if kind == "function_result":
            return [self._on_result(content)]
        if kind == "usage":
            return self._on_usage(content, author)
        if kind == "function_approval_request":
            self.approvals.append(content)
            return []
        if kind in ("data", "uri"):
            part = _file_part(content)
            return [Artifact(part=part)] if part is not None else []
        return []

    # -- messages ----------------------------------------------------------------------

    def _current_id(self) -> str:
        if self._message_id is None:
            self._message_id = new_id("m")
        return self._message_id

    def _close_message(self) -> list[Any]:
        message_id, text = self._message_id, "".join(self._text)
        self._message_id, self._text = None, []
        if message_id is None or not text:
            return []
        name = self._author if self._members else None
        return [text_completed(message_id, text, name)]

    # -- tools -------------------------------------------------------------------------

    def _on_call_fragment(self, content: Content) -> list[Any]:
        events = self._close_message()  # the answer's text ends where its calls begin
        call_id = content.call_id or content.id or new_id("call")
        if call_id in self._names:
            return events  # already reported complete
        call = self._calls.setdefault(call_id, {"name": "", "arguments": []})
        if content.name:
            call["name"] = content.name
        if content.arguments is not None:
            call["arguments"].append(content.arguments)
        # Report the call as soon as its arguments are a whole JSON object: the tool starts
        # only after the model's answer ends, and nothing else may arrive before it does.
        if _complete(call["arguments"]):
            events.extend(self._flush_calls(call_id))
        return events

    def _flush_calls(self, only: str | None = None) -> list[Any]:
        events = []
        for call_id in [only] if only is not None else list(self._calls):
            call = self._calls.pop(call_id)
            self._names[call_id] = call["name"]
            arguments = _arguments(call["arguments"])
            events.append(ToolCall(call_id=call_id, name=call["name"], arguments=arguments))
        return events

    def _on_result(self, content: Content) -> ToolResult:
        call_id = content.call_id or ""
        output = _result_text(content.result)
        error = content.exception
        if error and str(error) not in output:
            output = f"{output} ({error})" if output else str(error)
        failed = error is not None or call_id in self._denied
        if output in self._tool_errors:  # a sandbox tool's error text (see tools.py)
            self._tool_errors.remove(output)
            failed = True
        return ToolResult(
            call_id=call_id, name=self._names.get(call_id), output=output, is_error=failed
        )

    # -- usage -------------------------------------------------------------------------

    def _on_usage(self, content: Content, author: str) -> list[Any]:
        details = content.usage_details or {}
        seen = Usage(
            input_tokens=details.get("input_token_count") or 0,
            output_tokens=details.get("output_token_count") or 0,
            total_tokens=details.get("total_token_count") or 0,
        )
        before = self._usage.get(author, Usage())
        # "replace": a running total of the member's run; otherwise one more model call.
        total = seen if content.merge_mode == "replace" else before + seen
        self._usage[author] = total
        grown = Usage(
            input_tokens=max(total.input_tokens - before.input_tokens, 0),
            output_tokens=max(total.output_tokens - before.output_tokens, 0),
            total_tokens=max(total.total_tokens - before.total_tokens, 0),
        )
        if grown == Usage():
            return []
        return [UsageEvent(usage=grown)]


def _complete(fragments: list[Any]) -> bool:
    if any(isinstance(f, dict) for f in fragments):
        return all(isinstance(f, dict) for f in fragments)
    try:
        return isinstance(json.loads("".join(str(f) for f in fragments)), dict)
    except ValueError:
        return False


def _arguments(fragments: list[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    text = ""
    for fragment in fragments:
        if isinstance(fragment, dict):
            merged.update(fragment)
        else:
            text += str(fragment)
    if text.strip():
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = {"arguments": text}  # keep what the model sent, even if it is not JSON
        merged.update(parsed if isinstance(parsed, dict) else {"arguments": parsed})
    return merged


def _result_text(result: Any) -> str:
    if result is None:
        return ""
    if isinstance(result, str):
        return result
    if isinstance(result, list) and all(isinstance(c, Content) for c in result):
        return "".join(c.text or "" for c in result if c.type == "text")
    try:
        return json.dumps(result)
    except (TypeError, ValueError):
        return str(result)


def _approval_call(request: Content) -> dict[str, Any]:
    call = request.function_call
    assert call is not None
    arguments = call.arguments
    return {
        "call_id": call.call_id,
        "name": call.name,
        "arguments": _arguments([arguments] if arguments is not None else []),
    }


def _file_part(content: Content) -> FilePart | None:
    uri = content.uri or ""
    mime = content.media_type or "application/octet-stream"
    name = content.name
    if uri.startswith("data:"):
        try:
            return FilePart.from_url(uri, name=name, mime_type=mime)
        except ValueError:
            return None
    if uri.startswith(("http://", "https://")):
        return FilePart(name=name, mime_type=mime, uri=uri)
    return None
