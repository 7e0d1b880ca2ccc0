"""One run seen as one Responses API response: neutral events → output items and stream events.

``ResponseView`` is a pure function of the run's events (plus the request's echo fields), so a
live stream, a replay (``GET ?stream=true&starting_after=N``), a snapshot of a run in progress
and the final stored object all come from the same code, with the same ``sequence_number``s.
The mapping itself is documented in docs/openai.md.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from agenthost.events import (
    Artifact,
    DataPart,
    FilePart,
    InputRequired,
    MessageDelta,
    ReasoningDelta,
    RunCancelled,
    RunCompleted,
    RunFailed,
    RunStarted,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
)
from agenthost.sse import sse_frame

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def usage_dict(usage: Usage | None) -> dict[str, Any]:
    """Responses ``usage``; zeros when the agent reported none."""
    u = usage or Usage()
    return {
        "input_tokens": u.input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": u.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": u.total_tokens or u.input_tokens + u.output_tokens,
    }


@dataclass
class _Text:
    """An open message or reasoning item receiving deltas."""

    kind: str  # "message" | "reasoning"
    key: str  # the neutral message id
    item_id: str
    index: int
    chunks: list[str] = field(default_factory=list)
    delta_head: bytes = b""

    def item(self, status: str) -> dict[str, Any]:
        text = "".join(self.chunks)
        if self.kind == "message":
            part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
            return {
                "id": self.item_id,
                "type": "message",
                "role": "assistant",
                "status": status,
                "content": [part],
            }
        return {
            "id": self.item_id,
            "type": "reasoning",
            "status": status,
            "summary": [],
            "content": [{"type": "reasoning_text", "text": text}],
        }


@dataclass
class _Tool:
    """An open tool call: a ``code_interpreter_call`` or an ``mcp_call`` item."""

    kind: str  # "code" | "mcp"
    item_id: str
    index: int
    name: str
    text: str  # the code, or the arguments as JSON
    images: list[dict[str, str]] = field(default_factory=list)

    def item(self, status: str, output: Any = None, is_error: bool = False) -> dict[str, Any]:
        if self.kind == "code":
            outputs: list[dict[str, str]] | None = None
            if status != "in_progress":
                outputs = []
                logs = _text_of(output)
                if logs:
                    outputs.append({"type": "logs", "logs": logs})
                outputs += self.images
            return {
                "id": self.item_id,
                "type": "code_interpreter_call",
                "status": status,
                "code": self.text,
                "container_id": "",  # filled by the view
                "outputs": outputs,
            }
        item: dict[str, Any] = {
            "id": self.item_id,
            "type": "mcp_call",
            "status": status,
            "name": self.name,
            "server_label": "",  # filled by the view
            "arguments": self.text,
            "output": None if status == "in_progress" or is_error else _text_of(output),
            "error": None,
        }
        if is_error:
            item["error"] = {"type": "mcp_tool_execution_error", "content": _text_of(output)}
        return item


def _text_of(output: Any) -> str:
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    if isinstance(output, dict) and {"stdout", "value", "error"} & output.keys():
        # a sandbox run_python result: what a notebook cell would show
        pieces = [output.get("stdout"), output.get("value"), output.get("error")]
        return "\n".join(str(p).rstrip("\n") for p in pieces if p not in (None, ""))
    try:
        return json.dumps(output, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(output)


def _data_url(part: FilePart) -> str | None:
    if part.bytes is not None:
        return f"data:{part.mime_type};base64,{base64.b64encode(part.bytes).decode('ascii')}"
    return part.uri


class ResponseView:
    """Feed a run's neutral events; read ``response()`` and, when streaming, ``take()`` frames.

    ``stream=True`` encodes each stream event once, as an SSE frame, keeping those with a
    ``sequence_number`` above ``after`` (a replay's ``starting_after``).
    """

    def __init__(
        self,
        base: dict[str, Any],
        *,
        code_tools: frozenset[str] = frozenset({"run_python"}),
        server_label: str = "agent",
        container_id: str = "",
        finished_at: float | None = None,
        stream: bool = False,
        after: int = -1,
    ):
        self.base = base
        self.suffix = str(base["id"]).removeprefix("resp_")
        self.code_tools = code_tools
        self.server_label = server_label
        self.container_id = container_id
        self.status = "in_progress"
        self.error: dict[str, Any] | None = None
        self.incomplete_details: dict[str, Any] | None = None
        self.completed_at = int(finished_at) if finished_at else None
        self.output: list[dict[str, Any] | None] = []  # None: an item still open
        self.seq = -1
        self._text: _Text | None = None
        self._tools: dict[str, _Tool] = {}
        self._done_keys: set[str] = set()  # neutral message ids already output
        self._last_text = ""
        self._usage: Usage | None = None
        self._input_required: str | None = None
        self._frames: list[bytes] | None = [] if stream else None
        self._after = after
        self.ended = False
        self._emit_response("response.created")

    # -- reading -------------------------------------------------------------------------

    def take(self) -> bytes:
        """The frames encoded since the last call, as one chunk."""
        assert self._frames is not None
        out, self._frames = b"".join(self._frames), []
        return out

    def response(self) -> dict[str, Any]:
        """The Response object as it stands (open items shown ``in_progress``)."""
        output = []
        for index, item in enumerate(self.output):
            if item is None:
                item = self._open_item(index)
            output.append(item)
        return {
            **self.base,
            "status": self.status,
            "output": output,
            "error": self.error,
            "incomplete_details": self.incomplete_details,
            "usage": usage_dict(self._usage) if self.ended else None,
            "completed_at": self.completed_at if self.status == "completed" else None,
        }

    def _open_item(self, index: int) -> dict[str, Any]:
        if self._text is not None and self._text.index == index:
            return self._text.item("in_progress")
        for tool in self._tools.values():
            if tool.index == index:
                return self._fill(tool.item("in_progress"))
        raise AssertionError(f"no open item at output index {index}")

    def _fill(self, item: dict[str, Any]) -> dict[str, Any]:
        if item["type"] == "code_interpreter_call":
            item["container_id"] = self.container_id
        elif item["type"] == "mcp_call":
            item["server_label"] = self.server_label
        return item

    # -- emitting ------------------------------------------------------------------------

    def _emit(self, event: dict[str, Any]) -> None:
        self.seq += 1
        if self._frames is not None and self.seq > self._after:
            event["sequence_number"] = self.seq
            self._frames.append(sse_frame(_dumps(event), event=event["type"]))

    def _emit_response(self, event_type: str) -> None:
        """A lifecycle event carrying the whole response (built only when it is sent)."""
        if self._frames is not None and self.seq + 1 > self._after:
            self._emit({"type": event_type, "response": self.response()})
        else:
            self.seq += 1

    def _emit_delta(self, text: _Text, delta: str) -> None:
        self.seq += 1
        if self._frames is not None and self.seq > self._after:
            # the hot path: one frame per token, built without a dict
            self._frames.append(
                text.delta_head
                + _dumps(delta).encode()
                + b',"sequence_number":'
                + str(self.seq).encode()
                + b"}\n\n"
            )

    # -- feeding -------------------------------------------------------------------------

    def feed(self, event: Any) -> None:
        """Apply one neutral event."""
        kind = event.type
        if kind == "message.delta":
            self._delta("message", event.message_id, event.text)
        elif kind == "reasoning.delta":
            self._delta("reasoning", event.message_id, event.text)
        elif kind == "message.completed":
            self._completed_message(event.message)
        elif kind == "tool.call":
            self._tool_call(event.call_id, event.name, event.arguments)
        elif kind == "tool.result":
            self._tool_result(event.call_id, event.name, event.output, event.is_error)
        elif kind == "artifact":
            self._artifact(event.part, event.call_id)
        elif kind == "usage":
            self._usage = event.usage if self._usage is None else self._usage + event.usage
        elif kind == "run.input_required":
            self._input_required = event.prompt or ""
        elif kind == "run.started":
            self._emit_response("response.in_progress")
        elif kind == "run.completed":
            self._end_completed(event)
        elif kind == "run.failed":
            agent = self.base.get("model", "")
            message = f"agent {agent!r} failed: {event.code}: {event.message}"
            self._end(
                "failed", "response.failed", error={"code": "server_error", "message": message}
            )
        elif kind == "run.cancelled":
            self._end("cancelled", "response.incomplete")

    def _delta(self, kind: str, key: str, text: str) -> None:
        current = self._text
        if current is None or current.kind != kind or current.key != key:
            current = self._open_text(kind, key)
        current.chunks.append(text)
        self._emit_delta(current, text)

    def _open_text(self, kind: str, key: str) -> _Text:
        self._close_text("completed")
        index = len(self.output)
        self.output.append(None)
        prefix = "msg" if kind == "message" else "rs"
        text = _Text(kind, key, f"{prefix}_{self.suffix}_{index}", index)
        event_type = (
            "response.output_text.delta" if kind == "message" else "response.reasoning_text.delta"
        )
        logprobs = ',"logprobs":[]' if kind == "message" else ""
        text.delta_head = (
            f"event: {event_type}\ndata: "
            f'{{"type":"{event_type}","item_id":"{text.item_id}","output_index":{index},'
            f'"content_index":0{logprobs},"delta":'
        ).encode()
        self._text = text
        added = text.item("in_progress")
        added["content"] = []
        self._emit({"type": "response.output_item.added", "output_index": index, "item": added})
        part = (
            {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            if kind == "message"
            else {"type": "reasoning_text", "text": ""}
        )
        self._emit(
            {
                "type": "response.content_part.added",
                "item_id": text.item_id,
                "output_index": index,
                "content_index": 0,
                "part": part,
            }
        )
        return text

    def _close_text(self, status: str) -> None:
        text = self._text
        if text is None:
            return
        self._text = None
        item = text.item(status)
        part = item["content"][0]
        done: dict[str, Any] = {
            "item_id": text.item_id,
            "output_index": text.index,
            "content_index": 0,
            "text": part["text"],
        }
        if text.kind == "message":
            self._emit({"type": "response.output_text.done", **done, "logprobs": []})
            self._done_keys.add(text.key)
            self._last_text = part["text"]
        else:
            self._emit({"type": "response.reasoning_text.done", **done})
        self._emit(
            {
                "type": "response.content_part.done",
                "item_id": text.item_id,
                "output_index": text.index,
                "content_index": 0,
                "part": part,
            }
        )
        self.output[text.index] = item
        self._emit({"type": "response.output_item.done", "output_index": text.index, "item": item})

    def _whole_message(self, key: str, text: str) -> None:
        opened = self._open_text("message", key)
        opened.chunks.append(text)
        self._emit_delta(opened, text)
        self._close_text("completed")

    def _completed_message(self, message: Any) -> None:
        if message.role != "assistant":
            return
        current = self._text
        if current is not None and current.kind == "message" and current.key == message.id:
            if not current.chunks and message.text_content:
                current.chunks.append(message.text_content)
                self._emit_delta(current, message.text_content)
            self._close_text("completed")
        elif message.id not in self._done_keys and message.text_content:
            self._whole_message(message.id, message.text_content)
        self._done_keys.add(message.id)
        for part in message.parts:
            if not isinstance(part, TextPart):
                self._artifact(part, None)

    def _tool_call(self, call_id: str, name: str, arguments: dict[str, Any]) -> _Tool:
        self._close_text("completed")
        index = len(self.output)
        self.output.append(None)
        code = arguments.get("code") if name in self.code_tools else None
        if isinstance(code, str):
            tool = _Tool("code", f"ci_{self.suffix}_{index}", index, name, code)
        else:
            args = _dumps(arguments)
            tool = _Tool("mcp", f"mcp_{self.suffix}_{index}", index, name, args)
        self._tools[call_id] = tool
        added = self._fill(tool.item("in_progress"))
        ids = {"item_id": tool.item_id, "output_index": index}
        if tool.kind == "code":
            added["code"] = ""
            self._emit({"type": "response.output_item.added", "output_index": index, "item": added})
            self._emit({"type": "response.code_interpreter_call.in_progress", **ids})
            self._emit(
                {"type": "response.code_interpreter_call_code.delta", **ids, "delta": tool.text}
            )
            self._emit(
                {"type": "response.code_interpreter_call_code.done", **ids, "code": tool.text}
            )
            self._emit({"type": "response.code_interpreter_call.interpreting", **ids})
        else:
            added["arguments"] = ""
            self._emit({"type": "response.output_item.added", "output_index": index, "item": added})
            self._emit({"type": "response.mcp_call_arguments.delta", **ids, "delta": tool.text})
            self._emit({"type": "response.mcp_call_arguments.done", **ids, "arguments": tool.text})
            self._emit({"type": "response.mcp_call.in_progress", **ids})
        return tool

    def _tool_result(self, call_id: str, name: str | None, output: Any, is_error: bool) -> None:
        tool = self._tools.pop(call_id, None)
        if tool is None:  # a result without its call: show it as a call that just finished
            self._tool_call(call_id, name or "tool", {})
            tool = self._tools.pop(call_id)
        status = "failed" if is_error else "completed"
        ids = {"item_id": tool.item_id, "output_index": tool.index}
        if tool.kind == "code":
            if not is_error:
                self._emit({"type": "response.code_interpreter_call.completed", **ids})
        else:
            kind = "response.mcp_call.failed" if is_error else "response.mcp_call.completed"
            self._emit({"type": kind, **ids})
        item = self._fill(tool.item(status, output, is_error))
        self.output[tool.index] = item
        self._emit({"type": "response.output_item.done", "output_index": tool.index, "item": item})

    def _artifact(self, part: Any, call_id: str | None) -> None:
        image = isinstance(part, FilePart) and part.mime_type.startswith("image/")
        if call_id:
            tool = self._tools.get(call_id)
        else:
            # the sandbox tools emit a run's figures without a call id, while the call runs
            tool = next((t for t in reversed(self._tools.values()) if t.kind == "code"), None)
        if image and tool is not None and tool.kind == "code":
            url = _data_url(part)
            if url:
                tool.images.append({"type": "image", "url": url})
                return
        key = f"artifact_{self.seq + 1}"
        if isinstance(part, TextPart):
            self._whole_message(key, part.text)
        elif isinstance(part, DataPart):
            self._whole_message(key, _dumps(part.data))
        elif image and part.bytes is not None:
            self._image(part)
        elif isinstance(part, FilePart):
            label = part.name or "file"
            where = part.uri or f"{part.mime_type}, {len(part.bytes or b'')} bytes"
            self._whole_message(key, f"[{label}]({where})")

    def _image(self, part: FilePart) -> None:
        self._close_text("completed")
        index = len(self.output)
        item_id = f"ig_{self.suffix}_{index}"
        fmt = part.mime_type.removeprefix("image/").replace("svg+xml", "svg")
        item: dict[str, Any] = {
            "id": item_id,
            "type": "image_generation_call",
            "status": "in_progress",
            "result": None,
        }
        self.output.append(None)
        self._emit({"type": "response.output_item.added", "output_index": index, "item": item})
        ids = {"item_id": item_id, "output_index": index}
        self._emit({"type": "response.image_generation_call.completed", **ids})
        item = dict(item, status="completed", result=base64.b64encode(part.bytes or b"").decode())
        if fmt in ("png", "webp", "jpeg", "gif", "svg"):
            item["output_format"] = fmt
        self.output[index] = item
        self._emit({"type": "response.output_item.done", "output_index": index, "item": item})

    # -- ending --------------------------------------------------------------------------

    def _end_completed(self, event: Any) -> None:
        self._close_text("completed")
        if event.usage is not None:
            self._usage = event.usage
        if self._input_required is not None:
            prompt = self._input_required.strip()
            if prompt and prompt != self._last_text.strip():
                self._whole_message(f"input_required_{self.seq + 1}", self._input_required)
            self.incomplete_details = {"reason": None}
            self._end("incomplete", "response.incomplete")
        else:
            self._end("completed", "response.completed")

    def _end(self, status: str, event_type: str, error: dict[str, Any] | None = None) -> None:
        self._close_text("incomplete")
        tools, self._tools = list(self._tools.values()), {}
        for tool in tools:
            item = self._fill(tool.item("incomplete"))
            self.output[tool.index] = item
            self._emit(
                {"type": "response.output_item.done", "output_index": tool.index, "item": item}
            )
        self.status = status
        self.error = error
        self.ended = True
        if self.completed_at is None:
            self.completed_at = int(time.time())
        self._emit_response(event_type)


def events_of(response: dict[str, Any], error: dict[str, str] | None, code_tool: str) -> list[Any]:
    """Neutral events that rebuild a stored response, to stream it once its run has left memory.

    Each text item comes back as one delta, so sequence numbers differ from the live stream's.
    """
    events: list[Any] = [RunStarted()]
    for item in response["output"]:
        kind, item_id, status = item["type"], item["id"], item.get("status")
        if kind == "message":
            text = "".join(p.get("text") or p.get("refusal") or "" for p in item["content"])
            events.append(MessageDelta(message_id=item_id, text=text))
        elif kind == "reasoning":
            text = "".join(p["text"] for p in item.get("content") or [])
            events.append(ReasoningDelta(message_id=item_id, text=text))
        elif kind == "code_interpreter_call":
            code = item.get("code") or ""
            events.append(ToolCall(call_id=item_id, name=code_tool, arguments={"code": code}))
            logs = ""
            for out in item.get("outputs") or []:
                if out["type"] == "image":
                    events.append(Artifact(part=FilePart.from_url(out["url"]), call_id=item_id))
                else:
                    logs += out.get("logs", "")
            if status in ("completed", "failed"):
                events.append(ToolResult(call_id=item_id, output=logs, is_error=status == "failed"))
        elif kind == "mcp_call":
            parsed = json.loads(item["arguments"] or "{}")
            arguments = parsed if isinstance(parsed, dict) else {"arguments": parsed}
            events.append(ToolCall(call_id=item_id, name=item["name"], arguments=arguments))
            if status in ("completed", "failed"):
                output = item.get("output") or (item.get("error") or {}).get("content") or ""
                events.append(
                    ToolResult(call_id=item_id, output=output, is_error=status == "failed")
                )
        elif kind == "image_generation_call" and item.get("result"):
            mime = "image/" + (item.get("output_format") or "png").replace("svg", "svg+xml")
            part = FilePart(mime_type=mime, bytes=base64.b64decode(item["result"]))
            events.append(Artifact(part=part))
    status = response.get("status")
    usage_in = response.get("usage") or {}
    usage = Usage(
        input_tokens=usage_in.get("input_tokens", 0),
        output_tokens=usage_in.get("output_tokens", 0),
        total_tokens=usage_in.get("total_tokens", 0),
    )
    if status == "failed":
        err = error or {"message": (response.get("error") or {}).get("message", "")}
        events.append(RunFailed(code=err.get("code", ""), message=err.get("message", "")))
    elif status == "cancelled":
        events.append(RunCancelled())
    else:
        if status == "incomplete":
            events.append(InputRequired())
        events.append(RunCompleted(usage=usage))
    return events
