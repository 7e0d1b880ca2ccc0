"""Neutral messages to LangChain messages, and a LangGraph stream to neutral events.

The stream is read in two modes at once: ``messages`` gives the model's tokens as they come
(text and reasoning deltas), ``updates`` gives each node's finished output (the whole
assistant message with its assembled tool calls and usage, the tools' ``ToolMessage``s, and
``__interrupt__``). Deltas come only from the first, everything else only from the second.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)

from agenthost.events import (
    DataPart,
    FilePart,
    InputRequired,
    Message,
    MessageDelta,
    ReasoningDelta,
    TextPart,
    ToolCall,
    ToolResult,
    new_id,
)
from agenthost.parts import text_completed, usage_event

INSTRUCTIONS_ID = "agenthost-instructions"

# --------------------------------------------------------------------------- input


def to_langchain(messages: Iterable[Message]) -> list[BaseMessage]:
    """Neutral messages as LangChain messages; the neutral ids are kept (so a resent
    message replaces itself in the graph's state instead of appearing twice)."""
    out: list[BaseMessage] = []
    for message in messages:
        content = _content(message)
        if message.role == "assistant":
            out.append(AIMessage(content=content, id=message.id))
        elif message.role == "system":
            out.append(SystemMessage(content=content, id=message.id))
        else:
            # A neutral "tool" message carries no tool_call_id, so it cannot be a ToolMessage;
            # the model reads it as user-supplied content.
            out.append(HumanMessage(content=content, id=message.id))
    return out


def instructions_message(text: str) -> SystemMessage:
    """Per-run instructions; the fixed id makes the graph's reducer replace the previous ones
    in place instead of piling a system message up on every turn."""
    return SystemMessage(content=text, id=INSTRUCTIONS_ID)


def _content(message: Message) -> str | list[str | dict[str, Any]]:
    if all(isinstance(p, TextPart) for p in message.parts):
        return message.text_content
    blocks: list[str | dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, DataPart):
            blocks.append({"type": "text", "text": json.dumps(part.data)})
        elif isinstance(part, FilePart):
            blocks.append(_file_block(part))
    return blocks


def _file_block(part: FilePart) -> dict[str, Any]:
    kind = "image" if part.mime_type.startswith("image/") else "file"
    if part.mime_type.startswith("text/") and part.bytes is not None:
        kind = "text-plain"
    block: dict[str, Any] = {"type": kind, "mime_type": part.mime_type}
    if part.bytes is not None:
        if kind == "text-plain":
            block["text"] = part.bytes.decode("utf-8", errors="replace")
        else:
            block["base64"] = base64.b64encode(part.bytes).decode("ascii")
    elif part.uri is not None:
        block["url"] = part.uri
    if part.name:
        block["extras"] = {"filename": part.name}
    return block


def resume_value(message: Message | None) -> Any:
    """What the user's answer to an ``interrupt()`` resumes it with: the data of a data part
    when the message has one, else its text."""
    if message is None:
        return ""
    for part in message.parts:
        if isinstance(part, DataPart):
            return part.data
    return message.text_content


def unanswered_tool_calls(messages: list[BaseMessage]) -> list[ToolMessage]:
    """Error results for tool calls of the last assistant message that never got one (the
    previous run was cancelled mid-tool); without them no model API accepts the history."""
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            return [
                ToolMessage(
                    content="error: the run ended before this tool returned",
                    tool_call_id=call["id"],
                    name=call["name"],
                    status="error",
                )
                for call in message.tool_calls
                if call.get("id") and call["id"] not in answered
            ]
    return []


# --------------------------------------------------------------------------- output


def _text_and_reasoning(content: Any) -> tuple[str, str]:
    if isinstance(content, str):
        return content, ""
    text, reasoning = [], []
    for block in content if isinstance(content, list) else ():
        if isinstance(block, str):
            text.append(block)
        elif isinstance(block, dict):
            kind = block.get("type")
            if kind == "text" and isinstance(block.get("text"), str):
                text.append(block["text"])
            elif kind in ("reasoning", "thinking"):
                value = block.get("reasoning") or block.get("thinking") or ""
                if isinstance(value, str):
                    reasoning.append(value)
    return "".join(text), "".join(reasoning)


def _messages_of(update: Any) -> Iterator[BaseMessage]:
    """The messages a node wrote, whatever shape the node returned them in."""
    if isinstance(update, (list, tuple)):
        for item in update:
            yield from _messages_of(item)
        return
    if hasattr(update, "update") and not isinstance(update, dict):  # a Command
        update = update.update
    if not isinstance(update, dict):
        return
    raw = update.get("messages")
    if raw is None:
        return
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    for item in raw:
        if isinstance(item, BaseMessage):
            yield item
            continue
        try:
            yield from convert_to_messages([item])
        except (ValueError, TypeError, NotImplementedError):
            continue  # not a message (e.g. RemoveMessage markers): nothing to report


def _prompt(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        for key in ("question", "prompt", "message", "description"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return ""


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return json.loads(json.dumps(value, default=str))


class StreamTranslator:
    """Turns one run's ``(mode, chunk)`` pairs into neutral events."""

    def __init__(self, earlier: Iterable[BaseMessage] = ()) -> None:
        self._streamed: dict[str, str] = {}  # message id -> text sent as deltas so far
        self._completed: set[str] = set()
        self._calls: set[str] = set()
        self._results: set[str] = set()
        # A node may write the whole conversation back (a subgraph node does): what earlier
        # runs already reported must not be reported again.
        for message in earlier:
            if isinstance(message, AIMessage):
                if message.id:
                    self._completed.add(message.id)
                self._calls.update(c["id"] for c in message.tool_calls if c["id"])
            elif isinstance(message, ToolMessage):
                self._results.add(message.tool_call_id)

    def feed(self, mode: str, chunk: Any) -> list[Any]:
        if mode == "messages":
            message, _metadata = chunk
            return self._on_token(message)
        if mode == "updates" and isinstance(chunk, dict):
            events: list[Any] = []
            for node, update in chunk.items():
                if node == "__interrupt__":
                    events.extend(self._on_interrupts(update))
                else:
                    for message in _messages_of(update):
                        events.extend(self._on_message(message))
            return events
        return []

    def _on_token(self, message: BaseMessage) -> list[Any]:
        if not isinstance(message, AIMessage) or not message.id:
            return []
        if message.id in self._completed:
            return []
        text, reasoning = _text_and_reasoning(message.content)
        events: list[Any] = []
        if reasoning:
            events.append(ReasoningDelta(message_id=message.id, text=reasoning))
        if text:
            self._streamed[message.id] = self._streamed.get(message.id, "") + text
            events.append(MessageDelta(message_id=message.id, text=text))
        return events

    def _on_message(self, message: BaseMessage) -> list[Any]:
        if isinstance(message, AIMessage):
            return self._on_ai(message)
        if isinstance(message, ToolMessage):
            return self._on_tool_result(message)
        return []

    def _on_ai(self, message: AIMessage) -> list[Any]:
        message_id = message.id or new_id("m")
        if message_id in self._completed:
            return []
        self._completed.add(message_id)
        events: list[Any] = []
        text, _ = _text_and_reasoning(message.content)
        sent = self._streamed.pop(message_id, "")
        if text.startswith(sent) and len(text) > len(sent):
            events.append(MessageDelta(message_id=message_id, text=text[len(sent) :]))
        if text or sent:
            events.append(text_completed(message_id, text or sent))
        usage = message.usage_metadata
        if usage:
            events.append(
                usage_event(
                    usage.get("input_tokens", 0),
                    usage.get("output_tokens", 0),
                    usage.get("total_tokens", 0),
                )
            )
        for call in message.tool_calls:
            call_id = call.get("id") or new_id("call")
            if call_id in self._calls:
                continue
            self._calls.add(call_id)
            events.append(ToolCall(call_id=call_id, name=call["name"], arguments=call["args"]))
        return events

    def _on_tool_result(self, message: ToolMessage) -> list[Any]:
        if message.tool_call_id in self._results:
            return []
        self._results.add(message.tool_call_id)
        content = message.content
        if not isinstance(content, str):
            text, _ = _text_and_reasoning(content)
            content = text if text else _jsonable(content)
        return [
            ToolResult(
                call_id=message.tool_call_id,
                name=message.name,
                output=content,
                is_error=message.status == "error",
            )
        ]

    def _on_interrupts(self, interrupts: Any) -> list[Any]:
        values = [getattr(i, "value", i) for i in interrupts or ()]
        if not values:
            return []
        payload = values[0] if len(values) == 1 else values
        return [InputRequired(prompt=_prompt(values[0]), payload=_jsonable(payload))]
