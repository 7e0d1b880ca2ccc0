"""The neutral sandbox tools inside real runs, over HTTP: bound at call time to the run's
session sandbox, results as text, failures flagged, images as ``artifact`` events."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from agenthost import AgentApp
from agenthost.config import parse_config
from agenthost.context import RunContext
from agenthost.events import RunInput, ToolCall, ToolResult, new_id
from agenthost.sandbox.tools import Tool, ToolText, sandbox_tools
from agenthost.testing.server import ServerHandle, running_server

PNG = b"\x89PNG\r\n\x1a\n" + b"tiny"


async def tool_runner(input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
    """Runs the tool calls listed (as JSON) in the user's message, like a model would."""
    tools = {tool.name: tool for tool in sandbox_tools()}
    for step in json.loads(input.text):
        call_id = new_id("call")
        yield ToolCall(call_id=call_id, name=step["tool"], arguments=step["args"])
        text = await tools[step["tool"]](**step["args"])
        assert isinstance(text, ToolText)
        yield ToolResult(
            call_id=call_id, name=step["tool"], output=str(text), is_error=text.is_error
        )


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    app = AgentApp(parse_config({"sandboxes": {"default": {"backend": "local", "pool": 1}}}))
    app.agent("tools")(tool_runner)
    with running_server(app) as handle:
        yield handle


def run(server: ServerHandle, steps: list[dict[str, Any]], session: str) -> list[dict[str, Any]]:
    body = {"input": json.dumps(steps), "session_id": session}
    events = []
    with (
        httpx.Client(base_url=server.url, timeout=60) as client,
        client.stream("POST", "/agents/tools/runs", json=body) as response,
    ):
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["type"] == "run.completed", events[-1]
    return events


def results(events: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    return [(e["output"], e["is_error"]) for e in events if e["type"] == "tool.result"]


def test_python_state_lives_across_runs_of_a_session(server: ServerHandle) -> None:
    run(server, [{"tool": "run_python", "args": {"code": "x = 2"}}], "tools-s1")
    later = run(server, [{"tool": "run_python", "args": {"code": "x * 21"}}], "tools-s1")
    assert results(later) == [("42", False)]
    elsewhere = run(server, [{"tool": "run_python", "args": {"code": "x"}}], "tools-s2")
    [(text, is_error)] = results(elsewhere)
    assert is_error and "NameError: name 'x' is not defined" in text


def test_files_and_shell(server: ServerHandle) -> None:
    events = run(
        server,
        [
            {"tool": "write_file", "args": {"path": "notes/a.txt", "content": "héllo\n"}},
            {"tool": "read_file", "args": {"path": "notes/a.txt"}},
            {"tool": "list_files", "args": {"path": ".", "recursive": True}},
            {"tool": "run_shell", "args": {"command": "wc -c < notes/a.txt; exit 2"}},
            {"tool": "read_file", "args": {"path": "../outside"}},
        ],
        "tools-files",
    )
    wrote, read, listing, shell, outside = results(events)
    assert wrote == ("wrote 7 bytes to notes/a.txt", False)
    assert read == ("héllo\n", False)
    assert listing == ("notes/\nnotes/a.txt (7 bytes)", False)
    assert shell == ("7\n[exit code 2]", True)
    assert outside[1] and outside[0].startswith("Error: ") and "'..'" in outside[0]


def test_images_become_artifact_events(server: ServerHandle) -> None:
    code = f"class Img:\n    def _repr_png_(self):\n        return {PNG!r}\nImg()"
    events = run(
        server,
        [
            {"tool": "run_python", "args": {"code": code}},
            {"tool": "run_shell", "args": {"command": f"printf '{_octal(PNG)}' > pic.png"}},
            {"tool": "read_file", "args": {"path": "pic.png"}},
        ],
        "tools-images",
    )
    artifacts = [e for e in events if e["type"] == "artifact"]
    assert len(artifacts) == 2
    for artifact in artifacts:
        assert artifact["part"]["mime_type"] == "image/png"
        assert base64.b64decode(artifact["part"]["bytes"]) == PNG
    assert "attached" in results(events)[2][0]


def test_a_timeout_is_an_error_result_not_a_failed_run(server: ServerHandle) -> None:
    events = run(
        server,
        [{"tool": "run_python", "args": {"code": "while True:\n    pass", "timeout": 0.5}}],
        "tools-timeout",
    )
    [(text, is_error)] = results(events)
    assert is_error and text.startswith("Error: ") and "restarted empty" in text


async def test_outside_a_run_a_tool_says_so() -> None:
    run_python = next(t for t in sandbox_tools() if t.name == "run_python")
    with pytest.raises(RuntimeError, match="not inside an agenthost run"):
        await run_python(code="1")


def test_tool_definitions_are_plain_json_schema() -> None:
    tools = sandbox_tools()
    assert [t.name for t in tools] == [
        "run_python",
        "run_shell",
        "read_file",
        "write_file",
        "list_files",
    ]
    for tool in tools:
        assert isinstance(tool, Tool) and tool.description
        schema = tool.parameters
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert set(schema["required"]) <= set(schema["properties"])
        json.dumps(schema)


def _octal(data: bytes) -> str:
    return "".join(f"\\{b:03o}" for b in data)
