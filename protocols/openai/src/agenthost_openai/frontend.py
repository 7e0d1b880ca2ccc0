"""The ``chat`` frontend: OpenAI Chat Completions and the models list over the host's runs.

    POST /v1/chat/completions       JSON, or ``chat.completion.chunk`` SSE lines then [DONE]
    GET  /v1/models                 the agents, as models
    GET  /v1/models/{id}            one agent

``model`` names the agent. Chat Completions is stateless: every request is a one-off run of the
caller's whose input is the whole ``messages`` list. Nothing of it is kept: once it ends its
sandbox is released, and its run record, events and history are erased (docs/openai.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from agenthost.events import DataPart, FilePart, RunInput, TextPart, Usage
from agenthost.frontend import Frontend
from agenthost.http import HTTPProblem, read_json, unless_disconnected
from agenthost.params import PolicyOptions
from agenthost.problems import START_ERRORS, http_problem
from agenthost.routing import Endpoint
from agenthost.runs import Run
from agenthost.sse import sse_frame, sse_response
from agenthost.versions import pin_field

from .request import POLICY, ChatBody, parse_chat, parse_messages
from .schema import ChatCompletion, ModelList, ModelObject

log = logging.getLogger("agenthost.chat")

# The openai SDK versions this frontend's tests pass with, every chunk and body validated by
# that version's own types (sampled from 3.1.0 to 3.54; see docs/openai.md).
VALIDATED = ">=3.1,<3.55"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
_NO_RETRY = {"x-should-retry": "false"}  # a failed agent run is not a transient error


class ChatOptions(PolicyOptions):
    """Options of ``[frontends.chat]``."""

    policy = POLICY

    openai: str | None = pin_field("openai", VALIDATED, ">=3.51,<3.52")
    owned_by: str = Field(default="agenthost", description="owned_by of every listed model")


def usage_dict(usage: Usage | None) -> dict[str, int]:
    """Chat ``usage``; zeros when the agent reported none."""
    u = usage or Usage()
    return {
        "prompt_tokens": u.input_tokens,
        "completion_tokens": u.output_tokens,
        "total_tokens": u.total_tokens or u.input_tokens + u.output_tokens,
    }


def artifact_text(part: Any) -> str:
    """How an artifact shows in a chat answer: text as is, data as JSON, a file as a link."""
    if isinstance(part, TextPart):
        return part.text
    if isinstance(part, DataPart):
        return _dumps(part.data)
    assert isinstance(part, FilePart)
    where = part.uri or f"{part.mime_type}, {len(part.bytes or b'')} bytes"
    return f"[{part.name or 'file'}]({where})"


class ChatAnswer:
    """One run as a chat answer: feed neutral events, read chunks (streaming) or the result.

    Tool calls the agent runs itself have no place in Chat Completions (a ``tool_calls`` delta
    would ask the client to run them), so they are not shown; reasoning goes to the
    ``reasoning_content`` delta field used by most OpenAI-compatible servers.
    """

    def __init__(
        self, completion_id: str, model: str, created: int, *, include_usage: bool, stream: bool
    ):
        self.content: list[str] = []
        self.reasoning: list[str] = []
        self.usage: Usage | None = None
        self.error: dict[str, Any] | None = None
        self._streamed: set[str] = set()
        self._prompt: str | None = None
        self._usage_field = ',"usage":null' if include_usage else ""
        self._include_usage = include_usage
        # every chunk is this envelope around one choice: built once, filled per token
        self._envelope = (
            f'{{"id":"{completion_id}","object":"chat.completion.chunk","created":{created},'
            f'"model":{_dumps(model)},"system_fingerprint":null,"choices":'
        )
        self._head = self._envelope + '[{"index":0,"delta":'
        self._frames: list[bytes] | None = [] if stream else None

    def _chunk(self, delta: str, finish: str = "null") -> None:
        if self._frames is not None:
            tail = f',"logprobs":null,"finish_reason":{finish}}}]{self._usage_field}}}'
            self._frames.append(sse_frame(self._head + delta + tail))

    def _frame(self, data: str) -> None:
        if self._frames is not None:
            self._frames.append(sse_frame(data))

    def start(self) -> None:
        self._chunk('{"role":"assistant","content":""}')

    def take(self) -> bytes:
        """The chunks encoded since the last call, as one piece."""
        assert self._frames is not None
        out, self._frames = b"".join(self._frames), []
        return out

    def _text(self, text: str) -> None:
        if text:
            self.content.append(text)
            self._chunk('{"content":' + _dumps(text) + "}")

    def feed(self, event: Any) -> bool:
        """Apply one event; True once the answer is over."""
        kind = event.type
        if kind == "message.delta":
            self._streamed.add(event.message_id)
            self._text(event.text)
        elif kind == "reasoning.delta":
            self.reasoning.append(event.text)
            self._chunk('{"reasoning_content":' + _dumps(event.text) + "}")
        elif kind == "message.completed":
            message = event.message
            if message.role == "assistant" and message.id not in self._streamed:
                self._streamed.add(message.id)
                for part in message.parts:
                    self._text(artifact_text(part))
        elif kind == "artifact" and event.call_id is None:
            # an artifact of a tool call belongs with the call, which chat does not show
            self._text(artifact_text(event.part))
        elif kind == "usage":
            self.usage = event.usage if self.usage is None else self.usage + event.usage
        elif kind == "run.input_required":
            self._prompt = event.prompt
        elif kind == "run.completed":
            if event.usage is not None:
                self.usage = event.usage
            prompt = self._prompt or ""
            if prompt.strip() and prompt.strip() not in "".join(self.content):
                self._text(("\n\n" if self.content else "") + prompt)
            self._chunk("{}", '"stop"')
            if self._include_usage:
                self._frame(f'{self._envelope}[],"usage":{_dumps(usage_dict(self.usage))}}}')
            self._frame("[DONE]")
            return True
        elif kind in ("run.failed", "run.cancelled"):
            if kind == "run.failed":
                message, code = f"the agent failed: {event.code}: {event.message}", event.code
            else:
                message, code = f"the run was cancelled: {event.reason}", "run_cancelled"
            self.error = {"message": message, "type": "server_error", "param": None, "code": code}
            self._frame(_dumps({"error": self.error}))
            self._frame("[DONE]")
            return True
        return False

    def completion(self, completion_id: str, model: str, created: int) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": "".join(self.content),
            "refusal": None,
            "annotations": [],
        }
        if self.reasoning:
            message["reasoning_content"] = "".join(self.reasoning)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": None,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}
            ],
            "usage": usage_dict(self.usage),
        }


class ChatFrontend(Frontend):
    """OpenAI Chat Completions and ``/v1/models``."""

    name = "chat"
    versions = ("v1",)
    requirements = {"openai": VALIDATED}
    Options = ChatOptions

    def __init__(self, host: Any, options: BaseModel | None, versions: tuple[str, ...] = ()):
        super().__init__(host, options or ChatOptions(), versions)
        opts = self.options
        assert isinstance(opts, ChatOptions)
        self._ignored = frozenset(opts.ignore_params)
        self._owned_by = opts.owned_by
        self._created = int(time.time())
        self._pending: set[asyncio.Task[None]] = set()

    def routes(self) -> list[BaseRoute]:
        tags = ["chat"]
        return [
            Endpoint(
                "/v1/chat/completions",
                self.create,
                methods=["POST"],
                tags=tags,
                summary="Create a chat completion (JSON; chunks as SSE with stream: true)",
                body=ChatBody,
                response=ChatCompletion,
                streams=True,
            ),
            Endpoint(
                "/v1/models",
                self.list_models,
                methods=["GET"],
                tags=tags,
                summary="List the agents as models",
                response=ModelList,
            ),
            Endpoint(
                "/v1/models/{model_id:path}",
                self.get_model,
                methods=["GET"],
                tags=tags,
                summary="One agent as a model",
                response=ModelObject,
            ),
        ]

    async def shutdown(self) -> None:
        # runs were cancelled before this: let their erasure finish
        if self._pending:
            await asyncio.wait(self._pending, timeout=5)

    # -- models --------------------------------------------------------------------------

    def _model(self, name: str) -> dict[str, Any]:
        return {"id": name, "object": "model", "created": self._created, "owned_by": self._owned_by}

    async def list_models(self, request: Request) -> JSONResponse:
        self.authorize(request)
        data = [self._model(name) for name in sorted(self.host.agents)]
        return JSONResponse({"object": "list", "data": data})

    async def get_model(self, request: Request) -> JSONResponse:
        self.authorize(request)
        name = request.path_params["model_id"]
        if name not in self.host.agents:
            raise _no_model(name, param=None)
        return JSONResponse(self._model(name))

    # -- completions ---------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        self.authorize(request)
        body = parse_chat(await read_json(request), self._ignored)
        if body.model not in self.host.agents:
            raise _no_model(body.model, param="model")
        messages = parse_messages(body.messages)
        run_input = RunInput(
            agent=body.model,
            messages=messages,
            principal=self.principal(request),
            user_id=body.safety_identifier or body.user,
            metadata=dict(body.metadata or {}),
        )
        try:
            run = await self.host.runs.start(run_input)
        except START_ERRORS as exc:
            raise http_problem(exc) from None
        # the answer ends once the run is erased: then nothing of it is left to read
        erased = asyncio.get_running_loop().create_task(self._erase_when_ended(run))
        self._pending.add(erased)
        erased.add_done_callback(self._pending.discard)
        completion_id = "chatcmpl-" + uuid.uuid4().hex
        created = int(time.time())
        answer = ChatAnswer(
            completion_id,
            body.model,
            created,
            include_usage=body.include_usage,
            stream=bool(body.stream),
        )
        if body.stream:
            return sse_response(self._frames(run, answer, erased), headers={"X-Run-Id": run.run_id})
        finished, _ = await unless_disconnected(request, self._drain(run, answer))
        if not finished:
            return Response(status_code=499)  # nobody is listening; the run was cancelled
        await asyncio.shield(erased)
        if answer.error is not None:
            return JSONResponse({"error": answer.error}, status_code=500, headers=_NO_RETRY)
        return JSONResponse(answer.completion(completion_id, body.model, created))

    async def _frames(
        self, run: Run, answer: ChatAnswer, erased: asyncio.Task[None]
    ) -> AsyncIterator[bytes]:
        answer.start()
        async with self.host.runs.follow(run) as sub:
            yield answer.take()
            async for batch in sub:
                for event in batch:
                    answer.feed(event)
                chunk = answer.take()
                if chunk:
                    yield chunk
        await asyncio.shield(erased)

    async def _erase_when_ended(self, run: Run) -> None:
        """Once the run's task has ended (its sandbox released, its record stored), forget
        its events and delete its one-off session: history, run record, framework memory."""
        await run.wait()
        if run.task is not None and not run.task.done():
            await asyncio.wait({run.task})
        self.host.runs.forget(run.run_id)
        try:
            await self.host.store.delete_session(run.session_key)
            entry = self.host.agents.get(run.record.agent)
            if entry is not None:
                await entry.adapter.forget_session(run.session_key)
        except Exception:
            log.exception("could not erase chat run %s", run.run_id)

    async def _drain(self, run: Run, answer: ChatAnswer) -> None:
        # a subscriber, so that a disconnect cancels the run like a dropped stream does
        async with self.host.runs.follow(run) as sub:
            async for batch in sub:
                for event in batch:
                    answer.feed(event)


def _no_model(model: str, *, param: str | None) -> HTTPProblem:
    return HTTPProblem(
        404,
        f"the model {model!r} does not exist: models are the agents this host serves "
        "(GET /v1/models lists them)",
        param=param,
        code="model_not_found",
    )
