"""An Agno event stream (``stream=True, stream_events=True``) as neutral events.

One translator per run. Agno's shapes it straightens out:

- Team events are the agent events with a ``Team`` prefix; a workflow wraps its steps' agent
  streams in ``Workflow*``/``Step*`` events. Events of the run the host started (the "top"
  run) end it; every other run id is a member (a team member, a workflow step's agent), whose
  messages carry its name (``Message.name``) and whose ``RunCompleted`` ends only its own message.
- ``RunContent.content`` is text, ``reasoning_content`` reasoning; a model request's text is one
  message. ``RunCompleted.content`` repeats all the run's text: it is used only when nothing
  was streamed (a model that does not stream, a workflow of plain functions).
- A tool error arrives twice (``ToolCallCompleted`` with ``tool_call_error``, then
  ``ToolCallError``): reported once. ``RunCancelled`` is followed by a ``RunCompleted``: the
  first ends the run. A model error is an event (``RunError``), not an exception.
- Usage comes per model request (``ModelRequestCompleted``), members' requests included, so
  the host's sum is the run's total (a team's ``RunCompleted.metrics`` leaves its members out).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from agenthost.events import (
    InputRequired,
    Message,
    MessageCompleted,
    MessageDelta,
    ReasoningDelta,
    RunCancelled,
    RunFailed,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
    new_id,
)

from .hitl import paused_prompt

_WORKFLOW_END = {
    "WorkflowCompleted": "RunCompleted",
    "WorkflowError": "RunError",
    "WorkflowCancelled": "RunCancelled",
    "WorkflowPaused": "RunPaused",
}


def _kind(event: Any) -> str:
    """The event's name with a team's ``Team`` prefix and a workflow's ending mapped."""
    name = str(getattr(event, "event", ""))
    if name.startswith("Team"):
        return name[4:]
    return _WORKFLOW_END.get(name, name)


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, BaseModel):
        return content.model_dump_json()
    try:
        return json.dumps(content)
    except (TypeError, ValueError):
        return str(content)


class _OpenMessage:
    def __init__(self, author: str | None) -> None:
        self.id = new_id("m")
        self.author = author
        self.chunks: list[str] = []


class StreamTranslator:
    """Feed it each Agno event of one run; it returns the neutral events to yield."""

    def __init__(self, top_run_id: str) -> None:
        self.top_run_id = top_run_id
        self.ended = False
        self._open: dict[str, _OpenMessage] = {}  # run id -> its message being streamed
        self._streamed = False  # any text of this run went out as deltas
        self._calls: set[str] = set()
        self._results: set[str] = set()

    # -- helpers -----------------------------------------------------------------------

    def _author(self, event: Any) -> str | None:
        return getattr(event, "agent_name", None) or getattr(event, "team_name", None)

    def _message(self, run_id: str, event: Any) -> _OpenMessage:
        message = self._open.get(run_id)
        if message is None:
            member = run_id != self.top_run_id
            message = self._open[run_id] = _OpenMessage(self._author(event) if member else None)
        return message

    def _close(self, run_id: str) -> list[Any]:
        message = self._open.pop(run_id, None)
        if message is None or not message.chunks:
            return []
        return [
            MessageCompleted(
                message=_assistant(message.id, "".join(message.chunks), message.author)
            )
        ]

    # -- the mapping ---------------------------------------------------------------------

    def feed(self, event: Any) -> list[Any]:
        if self.ended:
            return []
        kind = _kind(event)
        run_id = str(getattr(event, "run_id", None) or self.top_run_id)
        top = run_id == self.top_run_id
        if kind == "RunContent":
            return self._content(run_id, event)
        if kind == "ReasoningContentDelta":
            text = _text(getattr(event, "reasoning_content", ""))
            if not text:
                return []
            return [ReasoningDelta(message_id=self._message(run_id, event).id, text=text)]
        if kind == "ModelRequestCompleted":
            return self._close(run_id) + _usage(event)
        if kind == "ToolCallStarted":
            return self._close(run_id) + self._tool_call(event)
        if kind in ("ToolCallCompleted", "ToolCallError"):
            return self._tool_result(event)
        if kind == "RunCompleted":
            events = self._close(run_id)
            if top:
                self.ended = True
                events += [e for r in list(self._open) for e in self._close(r)]
                text = _text(getattr(event, "content", None))
                if text and not self._streamed:
                    events.append(MessageCompleted(message=_assistant(new_id("m"), text, None)))
            return events
        if not top:
            return []  # a member's error, cancel or pause is its team's business
        if kind == "RunError":
            self.ended = True
            code = getattr(event, "error_type", None) or "AgnoRunError"
            return [RunFailed(code=str(code), message=_text(event.content) or "the run failed")]
        if kind == "RunCancelled":
            self.ended = True
            return [RunCancelled(reason=_text(getattr(event, "reason", None)) or "cancelled")]
        if kind == "RunPaused":
            self.ended = True
            events = [e for r in list(self._open) for e in self._close(r)]
            prompt, payload = paused_prompt(getattr(event, "requirements", None) or [])
            return [*events, InputRequired(prompt=prompt, payload=payload)]
        return []

    def _content(self, run_id: str, event: Any) -> list[Any]:
        events: list[Any] = []
        reasoning = getattr(event, "reasoning_content", None)
        text = _text(getattr(event, "content", None))
        if not text and not reasoning:
            return events
        message = self._message(run_id, event)
        if reasoning:
            events.append(ReasoningDelta(message_id=message.id, text=_text(reasoning)))
        if text:
            self._streamed = True
            message.chunks.append(text)
            events.append(MessageDelta(message_id=message.id, text=text))
        return events

    def _tool_call(self, event: Any) -> list[Any]:
        tool = getattr(event, "tool", None)
        if tool is None or not tool.tool_call_id or tool.tool_call_id in self._calls:
            return []
        self._calls.add(tool.tool_call_id)
        return [
            ToolCall(
                call_id=tool.tool_call_id, name=tool.tool_name or "", arguments=tool.tool_args or {}
            )
        ]

    def _tool_result(self, event: Any) -> list[Any]:
        tool = getattr(event, "tool", None)
        if tool is None or not tool.tool_call_id or tool.tool_call_id in self._results:
            return []
        self._results.add(tool.tool_call_id)
        is_error = bool(tool.tool_call_error) or _kind(event) == "ToolCallError"
        output = tool.result if tool.result is not None else _text(getattr(event, "error", None))
        return [
            ToolResult(
                call_id=tool.tool_call_id, name=tool.tool_name, output=output, is_error=is_error
            )
        ]


def _assistant(message_id: str, text: str, author: str | None) -> Message:
    return Message(id=message_id, role="assistant", parts=[TextPart(text=text)], name=author)


def _usage(event: Any) -> list[Any]:
    tokens = [
        getattr(event, n, None) or 0 for n in ("input_tokens", "output_tokens", "total_tokens")
    ]
    if not any(tokens):
        return []
    return [
        UsageEvent(
            usage=Usage(input_tokens=tokens[0], output_tokens=tokens[1], total_tokens=tokens[2])
        )
    ]
