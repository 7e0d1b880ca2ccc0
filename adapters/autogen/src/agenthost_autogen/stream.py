"""An AgentChat ``run_stream`` as neutral events.

What AgentChat sends, and what becomes of it (the run is started with
``output_task_messages=False``, so the user's task is not echoed):

- ``ModelClientStreamingChunkEvent`` → ``message.delta`` under its ``full_message_id``; text
  between ``<think>`` and ``</think>`` (how the OpenAI client streams reasoning) →
  ``reasoning.delta``;
- ``ThoughtEvent`` repeats what was streamed for the same id (text sent with tool calls, or
  the reasoning): dropped when streamed, a ``reasoning.delta`` when not;
- a chat message from an agent (``TextMessage``, ``ToolCallSummaryMessage``, ...) completes
  its id: the rest of its text as a delta, then one ``message.completed``;
- ``ToolCallRequestEvent`` / ``ToolCallExecutionEvent`` → ``tool.call`` / ``tool.result``;
- ``models_usage`` (per model call) → ``usage``, unless it is 0/0: a streaming OpenAI client
  without ``include_usage`` reports zeros, which are unknown, not free.
- in a team, each completed message is named after the member that said it (its ``source``,
  as ``Message.name``); a single agent's messages are its own and stay unnamed.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from autogen_agentchat.messages import (
    BaseChatMessage,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    ThoughtEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
)
from autogen_core.models import RequestUsage

from agenthost.events import (
    Message,
    MessageCompleted,
    MessageDelta,
    ReasoningDelta,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UsageEvent,
    new_id,
)

log = logging.getLogger("agenthost.autogen")

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


@dataclass
class _Open:
    """A model answer being streamed: its text so far, and whether it is inside <think>."""

    source: str
    text: str = ""
    thinking: bool = False
    streamed: bool = False


@dataclass
class StreamTranslator:
    """Feeds on one run's AgentChat items; ``feed`` returns neutral events."""

    user_sources: frozenset[str] = frozenset({"user"})
    report_zero_usage: bool = False
    team: bool = False
    """A team's run: completed messages carry their member's name."""
    speakers: dict[str, str] = field(default_factory=dict)
    """message id -> the agent that said it (for teams: which member spoke)."""
    completed: list[Message] = field(default_factory=list)
    zero_usage_calls: int = 0
    """Model calls that reported 0/0 tokens (not reported as usage)."""
    _open: dict[str, _Open] = field(default_factory=dict)
    _done: set[str] = field(default_factory=set)
    _last_said: dict[str, str] = field(default_factory=dict)  # source -> its last text

    def feed(self, item: Any) -> list[Any]:
        if isinstance(item, ModelClientStreamingChunkEvent):
            return self._chunk(item)
        events: list[Any] = []
        usage = getattr(item, "models_usage", None)
        if isinstance(item, ThoughtEvent):
            events += self._thought(item)
        elif isinstance(item, ToolCallRequestEvent):
            events += self._close_source(item.source)
            for call in item.content:
                events.append(ToolCall(call_id=call.id, name=call.name,
                                       arguments=_arguments(call.arguments)))
        elif isinstance(item, ToolCallExecutionEvent):
            events += [
                ToolResult(call_id=r.call_id, name=r.name, output=r.content,
                           is_error=bool(r.is_error))
                for r in item.content
            ]
        elif isinstance(item, HandoffMessage):
            events += self._close_source(item.source)  # its text is a tool's boilerplate
        elif isinstance(item, BaseChatMessage) and item.source not in self.user_sources:
            events += self._chat_message(item)
        if isinstance(usage, RequestUsage):
            events += self._usage(usage)
        return events

    def finish(self) -> list[Any]:
        """Complete what is still open (a run that ended after streamed text)."""
        events: list[Any] = []
        for message_id in list(self._open):
            events += self._complete(message_id, None)
        return events

    def last_said(self) -> str:
        """The text of the last message completed in this run."""
        return self.completed[-1].text_content if self.completed else ""

    def last_text(self, source: str) -> str:
        """The last text ``source`` said in this run (the question of a handoff to the user)."""
        return self._last_said.get(source, "")

    # -- pieces ------------------------------------------------------------------------

    def _chunk(self, item: ModelClientStreamingChunkEvent) -> list[Any]:
        message_id = item.full_message_id or new_id("m")
        if message_id in self._done:
            return []
        current = self._open.setdefault(message_id, _Open(source=item.source))
        current.streamed = True
        events: list[Any] = []
        rest = item.content
        while rest:
            marker = THINK_CLOSE if current.thinking else THINK_OPEN
            before, found, rest = rest.partition(marker)
            if before:
                if current.thinking:
                    events.append(ReasoningDelta(message_id=message_id, text=before))
                else:
                    current.text += before
                    events.append(MessageDelta(message_id=message_id, text=before))
            if found:
                current.thinking = not current.thinking
        return events

    def _thought(self, item: ThoughtEvent) -> list[Any]:
        message_id = item.id
        current = self._open.get(message_id)
        if current is not None and current.streamed:
            return []  # a repeat of what was streamed under this id
        if any(o.streamed and o.source == item.source for o in self._open.values()):
            return []  # the reflection's ThoughtEvent carries a new id, its chunks the old one
        return [ReasoningDelta(message_id=message_id, text=item.content)] if item.content else []

    def _chat_message(self, item: BaseChatMessage) -> list[Any]:
        text = item.to_text()
        message_id = item.id
        if message_id not in self._open:
            # A message that was not streamed under its own id: its text may still have been
            # streamed under the model call's id (reflection), so close those first.
            streamed = [k for k, o in self._open.items() if o.source == item.source]
            if len(streamed) == 1 and self._open[streamed[0]].text == text:
                return self._complete(streamed[0], text)
            events = self._close_source(item.source)
            self._open[message_id] = _Open(source=item.source)
            return events + self._complete(message_id, text)
        return self._complete(message_id, text)

    def _close_source(self, source: str) -> list[Any]:
        events: list[Any] = []
        for message_id, current in list(self._open.items()):
            if current.source == source:
                events += self._complete(message_id, None)
        return events

    def _complete(self, message_id: str, text: str | None) -> list[Any]:
        current = self._open.pop(message_id, None)
        if current is None or message_id in self._done:
            return []
        self._done.add(message_id)
        sent = current.text
        whole = sent if text is None else text
        events: list[Any] = []
        if whole.startswith(sent) and len(whole) > len(sent):
            events.append(MessageDelta(message_id=message_id, text=whole[len(sent):]))
        elif not whole.startswith(sent):
            whole = sent  # the message differs from what was streamed: keep what was said
        if not whole:
            return events
        name = current.source if self.team else None
        message = Message(id=message_id, role="assistant", parts=[TextPart(text=whole)], name=name)
        self.speakers[message_id] = current.source
        self._last_said[current.source] = whole
        self.completed.append(message)
        events.append(MessageCompleted(message=message))
        return events

    def _usage(self, usage: RequestUsage) -> list[Any]:
        if not usage.prompt_tokens and not usage.completion_tokens:
            self.zero_usage_calls += 1
            if not self.report_zero_usage:
                return []
        total = usage.prompt_tokens + usage.completion_tokens
        return [UsageEvent(usage=Usage(input_tokens=usage.prompt_tokens,
                                       output_tokens=usage.completion_tokens, total_tokens=total))]


def _arguments(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {"_raw": raw}  # the model's malformed JSON, kept so the call is still visible
    return value if isinstance(value, dict) else {"_value": value}
