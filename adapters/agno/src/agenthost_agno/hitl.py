"""Human in the loop: a paused Agno run as ``run.input_required``, and the answer that resumes it.

Agno pauses a run on a tool made with ``@tool(requires_confirmation=True)`` (or
``requires_user_input``, ``external_execution``): the stream ends with ``RunPaused`` carrying
``RunRequirement``s. The session's next message answers them:

- confirmation: "yes" (or y, ok, approve, approved, confirm, allow) confirms; any other text
  rejects, with the text as the note; a data part ``{"approved": bool, "note": "..."}`` too;
- user input: a data part ``{"field": value, ...}``, or plain text when one field is asked;
- external execution: the text (or a data part's ``"result"``) is the tool's result.
"""

from __future__ import annotations

import json
from typing import Any

from agenthost.events import DataPart, Message

YES = frozenset({"y", "yes", "ok", "okay", "approve", "approved", "confirm", "confirmed", "allow"})


class UnansweredRequirement(ValueError):
    """The message does not answer what the paused run asks; it stays paused."""


def paused_prompt(requirements: list[Any]) -> tuple[str, dict[str, Any]]:
    """The prompt and payload of ``run.input_required`` for a paused run's requirements."""
    asks: list[dict[str, Any]] = []
    lines: list[str] = []
    for requirement in requirements:
        tool = requirement.tool_execution
        if tool is None:
            continue
        ask: dict[str, Any] = {
            "kind": requirement.pause_type,
            "call_id": tool.tool_call_id,
            "name": tool.tool_name,
            "arguments": tool.tool_args or {},
        }
        if requirement.member_agent_name:
            ask["agent"] = requirement.member_agent_name
        call = f"{tool.tool_name}({_arguments(tool.tool_args or {})})"
        if ask["kind"] == "user_input":
            fields = requirement.user_input_schema or []
            ask["fields"] = [
                {"name": f.name, "description": f.description or ""}
                for f in fields
                if f.value is None
            ]
            lines.append(f"{call} needs: {', '.join(f['name'] for f in ask['fields'])}.")
        elif ask["kind"] == "external_execution":
            lines.append(f"Run {call} and reply with its result.")
        else:
            lines.append(f"Approve {call}? Reply yes or no.")
        asks.append(ask)
    return " ".join(lines), {"requirements": asks}


def _arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in arguments.items())


def _data(message: Message | None) -> dict[str, Any] | None:
    for part in message.parts if message is not None else ():
        if isinstance(part, DataPart) and isinstance(part.data, dict):
            return part.data
    return None


def answer(requirements: list[Any], message: Message | None) -> None:
    """Resolve ``requirements`` from the user's ``message``; raises UnansweredRequirement."""
    data = _data(message)
    text = message.text_content.strip() if message is not None else ""
    for requirement in requirements:
        if requirement.is_resolved():
            continue
        if requirement.needs_confirmation:
            if data is not None and "approved" in data:
                approved, note = bool(data["approved"]), data.get("note")
            else:
                approved, note = text.lower().rstrip(".!") in YES, text or None
            if approved:
                requirement.confirm()
            else:
                requirement.reject(note)
        elif requirement.needs_user_input:
            missing = [f.name for f in requirement.user_input_schema or [] if f.value is None]
            if data is not None:
                values = {k: v for k, v in data.items() if k in missing}
            elif len(missing) == 1 and text:
                values = {missing[0]: text}
            else:
                values = {}
            if set(values) != set(missing):
                raise UnansweredRequirement(
                    f"the paused tool {requirement.tool_execution.tool_name!r} needs "
                    f'{missing}: send them as a data part {{"name": value, ...}}'
                )
            requirement.provide_user_input(values)
        elif requirement.needs_external_execution:
            result = data.get("result") if data is not None else text
            if not result:
                raise UnansweredRequirement(
                    f"the paused tool {requirement.tool_execution.tool_name!r} waits for its "
                    "result: send it as the message text"
                )
            requirement.set_external_execution_result(str(result))
        else:
            raise UnansweredRequirement(
                f"agenthost cannot answer a {requirement.pause_type!r} requirement"
            )
