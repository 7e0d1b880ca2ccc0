"""Neutral agent tools over the current run's sandbox, for every framework adapter to wrap.

    from agenthost.sandbox.tools import sandbox_tools

    for tool in sandbox_tools():          # run_python, run_shell, read_file, write_file, list_files
                                          # (sandbox_tools(["run_python"]): only those named)
        tool.name                         # "run_python"
        tool.description                  # for the model
        tool.parameters                   # JSON schema of the arguments (an object schema)
        text = await tool(code="1 + 1")   # → "2": always a string, for the model

A tool is bound to no sandbox: each call looks up the run it executes in
(``agenthost.context.get_run_context()``) and uses that session's sandbox, so a tool defined
once at import time serves every run and session. Images a call produces (matplotlib figures,
an image file read) are emitted into the run as ``artifact`` events. Failures the model can
act on — an exception in its code, a timeout, a path outside the work dir — come back as text
(starting with ``Error:`` for sandbox failures), never as an exception. The string is a
``ToolText``: ``text.is_error`` tells an adapter which results to flag as errors. Outside a
run a call raises ``RuntimeError``. A framework that reports a failed tool by its exception
wraps ``raising(tool, SomeError)``: a plain async function with the neutral function's name,
docstring and signature that returns the text and raises ``SomeError(text)`` for an error.
"""

from __future__ import annotations

import functools
import mimetypes
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..context import get_run_context
from ..events import Artifact, FilePart
from .api import Sandbox
from .errors import SandboxError
from .results import ExecResult

ERROR_PREFIX = "Error: "


class ToolText(str):
    """A tool's result: a plain ``str`` for the model, plus ``is_error`` for the adapter."""

    is_error: bool = False

    @classmethod
    def error(cls, text: str) -> ToolText:
        out = cls(text)
        out.is_error = True
        return out


@dataclass(frozen=True)
class Tool:
    """A framework-neutral tool: name, description, JSON-schema parameters, async callable."""

    name: str
    description: str
    parameters: dict[str, Any]
    func: Callable[..., Awaitable[str]] = field(repr=False)

    async def __call__(self, **arguments: Any) -> ToolText:
        text = await self.func(**arguments)
        return text if isinstance(text, ToolText) else ToolText(text)


def _schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


_TIMEOUT = {"type": "number", "description": "seconds before the call is stopped (optional)"}


async def _sandbox() -> Sandbox:
    return await get_run_context().sandbox()


def _emit_artifacts(parts: list[FilePart]) -> None:
    ctx = get_run_context()
    for part in parts:
        ctx.emit(Artifact(part=part))


def _exec_text(result: ExecResult) -> ToolText:
    _emit_artifacts(result.artifacts)
    text = result.text() or "(no output)"
    return ToolText(text) if result.ok else ToolText.error(text)


async def run_python(code: str, timeout: float | None = None) -> str:
    try:
        result = await (await _sandbox()).run_python(code, timeout=timeout)
    except SandboxError as exc:
        return ToolText.error(f"{ERROR_PREFIX}{exc}")
    return _exec_text(result)


async def run_shell(command: str, cwd: str | None = None, timeout: float | None = None) -> str:
    try:
        result = await (await _sandbox()).run_shell(command, cwd=cwd, timeout=timeout)
    except SandboxError as exc:
        return ToolText.error(f"{ERROR_PREFIX}{exc}")
    return _exec_text(result)


async def read_file(path: str) -> str:
    try:
        sandbox = await _sandbox()
        data = await sandbox.read_file(path)
    except SandboxError as exc:
        return ToolText.error(f"{ERROR_PREFIX}{exc}")
    mime = mimetypes.guess_type(path)[0] or ""
    if mime.startswith("image/"):
        _emit_artifacts([FilePart(name=path.rsplit("/", 1)[-1], mime_type=mime, bytes=data)])
        return f"{path}: {mime} image, {len(data)} bytes (attached)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{path}: binary file, {len(data)} bytes (not shown)"
    limit = sandbox.options.max_output
    if len(text) > limit:
        return text[:limit] + f"\n[truncated: showing {limit} of {len(text)} characters]"
    return text


async def write_file(path: str, content: str) -> str:
    try:
        size = await (await _sandbox()).write_file(path, content)
    except SandboxError as exc:
        return ToolText.error(f"{ERROR_PREFIX}{exc}")
    return f"wrote {size} bytes to {path}"


async def list_files(path: str = ".", recursive: bool = False) -> str:
    try:
        entries = await (await _sandbox()).list_files(path, recursive=recursive)
    except SandboxError as exc:
        return ToolText.error(f"{ERROR_PREFIX}{exc}")
    if not entries:
        return f"{path}: empty"
    lines = []
    for entry in entries:
        if entry.type == "dir":
            lines.append(f"{entry.path}/")
        elif entry.type == "symlink":
            lines.append(f"{entry.path} (symlink)")
        else:
            lines.append(f"{entry.path} ({entry.size} bytes)")
    return "\n".join(lines)


def raising(tool: Tool, error: Callable[[str], BaseException]) -> Callable[..., Awaitable[str]]:
    """``tool`` as a plain async function (the neutral function's name, docstring and
    signature) that returns the tool's text and raises ``error(text)`` for an error result."""

    @functools.wraps(tool.func)
    async def call(**arguments: Any) -> str:
        text = await tool(**arguments)
        if text.is_error:
            raise error(str(text))
        return str(text)

    return call


def sandbox_tools(names: Iterable[str] | None = None) -> list[Tool]:
    """The five sandbox tools, in the order a model reads them best (or only those in
    ``names``; an unknown name raises ``ValueError``)."""
    tools = _all_tools()
    if names is None:
        return tools
    wanted = list(names)
    known = {t.name for t in tools}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"no sandbox tool named {unknown}; known: {sorted(known)}")
    return [t for t in tools if t.name in wanted]


def _all_tools() -> list[Tool]:
    return [
        Tool(
            "run_python",
            "Run Python code in a persistent sandbox (variables and imports survive between "
            "calls, like notebook cells). Returns printed output and the value of the last "
            "expression; matplotlib figures are attached as images. Files live in the "
            "current directory.",
            _schema({"code": {"type": "string"}, "timeout": _TIMEOUT}, ["code"]),
            run_python,
        ),
        Tool(
            "run_shell",
            "Run a shell command (/bin/sh -c) in the sandbox's work directory; returns its "
            "output and exit code.",
            _schema(
                {
                    "command": {"type": "string"},
                    "cwd": {"type": "string", "description": "directory inside the work dir"},
                    "timeout": _TIMEOUT,
                },
                ["command"],
            ),
            run_shell,
        ),
        Tool(
            "read_file",
            "Read a text file from the sandbox's work directory (images are attached).",
            _schema({"path": {"type": "string"}}, ["path"]),
            read_file,
        ),
        Tool(
            "write_file",
            "Write a text file in the sandbox's work directory (parent folders are created).",
            _schema(
                {"path": {"type": "string"}, "content": {"type": "string"}}, ["path", "content"]
            ),
            write_file,
        ),
        Tool(
            "list_files",
            "List files in a directory of the sandbox's work directory.",
            _schema(
                {"path": {"type": "string", "default": "."}, "recursive": {"type": "boolean"}},
                [],
            ),
            list_files,
        ),
    ]
