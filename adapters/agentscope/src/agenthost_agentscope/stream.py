"""AgentScope ``reply_stream`` events to neutral events.

One model call is one assistant message: its text and thinking deltas stream under one id and
``ModelCallEndEvent`` completes it (with the call's usage). Tool calls are reported whole at
``ToolCallEndEvent`` (their arguments arrive as JSON fragments), tool results at
``ToolResultEndEvent`` (text deltas joined; data deltas become artifacts). Events are keyed by
``reply_id``, so the interleaved replies of a pipeline's members stay apart, and a member's
``ReplyEndEvent`` is not the run's end: the run ends when the stream does. In a pipeline
(``members=True``) each completed message is named after the agent whose reply it is (the
``ReplyStartEvent``'s name, as ``Message.name``); a single agent's messages stay unnamed.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from agentscope import event as ev

from agenthost.events import (
    Artifact,
    FilePart,
    InputRequired,
    MessageDelta,
    ReasoningDelta,
    ToolCall,
    ToolResult,
    new_id,
)
from agenthost.parts import text_completed, usage_event


class ReplyFailed(RuntimeError):
    """AgentScope ended the reply with ``finished_reason = error``."""


@dataclass
class _Open:
    """An assistant message being streamed (one model call of one reply)."""

    message_id: str
    text: list[str] = field(default_factory=list)


@dataclass
class _ToolCallDraft:
    name: str
    arguments: list[str] = field(default_factory=list)


@dataclass
class _ResultDraft:
    name: str | None
    text: list[str] = field(default_factory=list)


def _file(media_type: str, data: str | None, url: str | None, name: str | None) -> FilePart:
    if data is not None:
        try:
            return FilePart(name=name, mime_type=media_type, bytes=base64.b64decode(data))
        except (binascii.Error, ValueError):
            pass  # not base64 after all: keep it as text bytes
        return FilePart(name=name, mime_type=media_type, bytes=data.encode())
    return FilePart(name=name, mime_type=media_type, uri=url)


def parse_arguments(raw: str) -> dict[str, Any]:
    """A tool call's JSON arguments as a dict (``{"input": raw}`` when they are not one)."""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {"input": raw}
    return value if isinstance(value, dict) else {"input": value}


def call_summary(block: Any) -> dict[str, Any]:
    """A ToolCallBlock as the neutral shape of a tool call."""
    return {"call_id": block.id, "name": block.name, "arguments": parse_arguments(block.input)}


class StreamTranslator:
    """Turns one run's AgentScope events into neutral events."""

    def __init__(self, members: bool = False) -> None:
        self.members = members  # a pipeline: completed messages carry their speaker's name
        self.speakers: dict[str, str] = {}  # reply id -> agent name
        self.top_reply: str | None = None
        self.top_end: str | None = None  # the first reply's finished_reason, once it ended
        self.pending: list[dict[str, Any]] = []  # parked requests of this run
        self._open: dict[str, _Open] = {}
        self._calls: dict[str, _ToolCallDraft] = {}
        self._results: dict[str, _ResultDraft] = {}
        self._data: dict[str, tuple[str, str | None, list[str], str | None]] = {}

    def feed(self, event: Any) -> list[Any]:
        handler = _HANDLERS.get(type(event))
        return handler(self, event) if handler is not None else []

    # -- replies ---------------------------------------------------------------------------

    def _reply_start(self, e: ev.ReplyStartEvent) -> list[Any]:
        self.speakers[e.reply_id] = e.name
        if self.top_reply is None:
            self.top_reply = e.reply_id
        return []

    def _reply_end(self, e: ev.ReplyEndEvent) -> list[Any]:
        out = self._complete(e.reply_id)
        if e.reply_id == self.top_reply:
            self.top_end = str(e.finished_reason)
        if str(e.finished_reason) == "error" and e.reply_id == self.top_reply:
            detail = e.error.model_dump_json() if e.error is not None else "no details"
            raise ReplyFailed(f"{self.speakers.get(e.reply_id, 'the agent')} failed: {detail}")
        return out

    # -- model calls -----------------------------------------------------------------------

    def _model_start(self, e: ev.ModelCallStartEvent) -> list[Any]:
        out = self._complete(e.reply_id)
        self._open[e.reply_id] = _Open(new_id("m"))
        return out

    def _model_end(self, e: ev.ModelCallEndEvent) -> list[Any]:
        out = self._complete(e.reply_id)
        tokens = (e.input_tokens, e.output_tokens)
        if any(tokens):
            out.append(usage_event(*tokens))
        return out

    def _message(self, reply_id: str) -> _Open:
        message = self._open.get(reply_id)
        if message is None:  # text outside a model call (a middleware's): its own message
            message = self._open[reply_id] = _Open(new_id("m"))
        return message

    def _complete(self, reply_id: str) -> list[Any]:
        message = self._open.pop(reply_id, None)
        if message is None or not message.text:
            return []
        text = "".join(message.text)
        name = self.speakers.get(reply_id) if self.members else None
        return [text_completed(message.message_id, text, name)]

    def _text(self, e: ev.TextBlockDeltaEvent) -> list[Any]:
        if not e.delta:
            return []
        message = self._message(e.reply_id)
        message.text.append(e.delta)
        return [MessageDelta(message_id=message.message_id, text=e.delta)]

    def _thinking(self, e: ev.ThinkingBlockDeltaEvent) -> list[Any]:
        if not e.delta:
            return []
        return [ReasoningDelta(message_id=self._message(e.reply_id).message_id, text=e.delta)]

    def _data_start(self, e: ev.DataBlockStartEvent) -> list[Any]:
        self._data[e.block_id] = (e.media_type, e.name, [], None)
        return []

    def _data_delta(self, e: ev.DataBlockDeltaEvent) -> list[Any]:
        media, name, chunks, url = self._data.get(e.block_id, (e.media_type, None, [], None))
        if e.data is not None:
            chunks.append(e.data)
        self._data[e.block_id] = (media, name, chunks, e.url or url)
        return []

    def _data_end(self, e: ev.DataBlockEndEvent) -> list[Any]:
        held = self._data.pop(e.block_id, None)
        if held is None:
            return []
        media, name, chunks, url = held
        return [Artifact(part=_file(media, "".join(chunks) if chunks else None, url, name))]

    # -- tools -----------------------------------------------------------------------------

    def _call_start(self, e: ev.ToolCallStartEvent) -> list[Any]:
        self._calls[e.tool_call_id] = _ToolCallDraft(e.tool_call_name)
        return []

    def _call_delta(self, e: ev.ToolCallDeltaEvent) -> list[Any]:
        draft = self._calls.setdefault(e.tool_call_id, _ToolCallDraft(""))
        draft.arguments.append(e.delta)
        return []

    def _call_end(self, e: ev.ToolCallEndEvent) -> list[Any]:
        draft = self._calls.pop(e.tool_call_id, None)
        if draft is None:
            return []
        arguments = parse_arguments("".join(draft.arguments))
        return [ToolCall(call_id=e.tool_call_id, name=draft.name, arguments=arguments)]

    def _result_start(self, e: ev.ToolResultStartEvent) -> list[Any]:
        self._results[e.tool_call_id] = _ResultDraft(e.tool_call_name)
        return []

    def _result_text(self, e: ev.ToolResultTextDeltaEvent) -> list[Any]:
        self._results.setdefault(e.tool_call_id, _ResultDraft(None)).text.append(e.delta)
        return []

    def _result_data(self, e: ev.ToolResultDataDeltaEvent) -> list[Any]:
        part = _file(e.media_type, e.data, e.url, None)
        return [Artifact(part=part, call_id=e.tool_call_id)]

    def _result_end(self, e: ev.ToolResultEndEvent) -> list[Any]:
        draft = self._results.pop(e.tool_call_id, _ResultDraft(None))
        state = str(e.state)
        return [
            ToolResult(
                call_id=e.tool_call_id,
                name=draft.name,
                output="".join(draft.text),
                is_error=state != "success",
            )
        ]

    # -- human in the loop -----------------------------------------------------------------

    def _confirm(self, e: ev.RequireUserConfirmEvent) -> list[Any]:
        return self._park("approval", e.reply_id, e.tool_calls)

    def _external(self, e: ev.RequireExternalExecutionEvent) -> list[Any]:
        return self._park("external", e.reply_id, e.tool_calls)

    def _park(self, kind: str, reply_id: str, blocks: list[Any]) -> list[Any]:
        out = self._complete(reply_id)
        calls = [call_summary(b) for b in blocks]
        self.pending.append(
            {
                "kind": kind,
                "reply_id": reply_id,
                "agent": self.speakers.get(reply_id, ""),
                "tool_calls": [b.model_dump(mode="json") for b in blocks],
            }
        )
        listed = ", ".join(f"{c['name']}({json.dumps(c['arguments'])})" for c in calls)
        if kind == "approval":
            prompt = f"Approve {listed}? Answer approve or deny."
        else:
            prompt = f"Run {listed} and send its result."
        payload = {"kind": kind, "agent": self.speakers.get(reply_id, ""), "tool_calls": calls}
        out.append(InputRequired(prompt=prompt, payload=payload))
        return out


_HANDLERS: dict[type, Any] = {
    ev.ReplyStartEvent: StreamTranslator._reply_start,
    ev.ReplyEndEvent: StreamTranslator._reply_end,
    ev.ModelCallStartEvent: StreamTranslator._model_start,
    ev.ModelCallEndEvent: StreamTranslator._model_end,
    ev.TextBlockDeltaEvent: StreamTranslator._text,
    ev.ThinkingBlockDeltaEvent: StreamTranslator._thinking,
    ev.DataBlockStartEvent: StreamTranslator._data_start,
    ev.DataBlockDeltaEvent: StreamTranslator._data_delta,
    ev.DataBlockEndEvent: StreamTranslator._data_end,
    ev.ToolCallStartEvent: StreamTranslator._call_start,
    ev.ToolCallDeltaEvent: StreamTranslator._call_delta,
    ev.ToolCallEndEvent: StreamTranslator._call_end,
    ev.ToolResultStartEvent: StreamTranslator._result_start,
    ev.ToolResultTextDeltaEvent: StreamTranslator._result_text,
    ev.ToolResultDataDeltaEvent: StreamTranslator._result_data,
    ev.ToolResultEndEvent: StreamTranslator._result_end,
    ev.RequireUserConfirmEvent: StreamTranslator._confirm,
    ev.RequireExternalExecutionEvent: StreamTranslator._external,
}
