"""The ``native`` frontend: agenthost's own JSON + SSE API, the neutral events as they are.

    GET  /agents                      list agents
    GET  /agents/{name}               one agent
    POST /agents/{name}/runs          start a run: SSE by default, JSON when "stream": false,
                                      202 at once when "background": true
    GET  /runs/{run_id}               status and result
    GET  /runs/{run_id}/events        SSE: replay after ?after=SEQ (or Last-Event-ID), then follow
    POST /runs/{run_id}/cancel        cancel
    DELETE /sessions/{session_id}     forget a session: history, stored runs, sandbox
    GET  /sessions/{session_id}/messages  the session's history

Every id is the caller's: another principal's run or session reads as unknown (404).

Paths stay clear of /v1/* (OpenAI) and A2A's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from ..adapter import AgentInfo
from ..errors import SessionBusy, UnknownAgent, UnknownRun
from ..events import Event, Message, RunInput
from ..frontend import Frontend
from ..http import HTTPProblem, read_json, unless_disconnected, validation_problem
from ..problems import START_ERRORS, http_problem
from ..routing import Endpoint
from ..run import Run, Subscription
from ..sse import sse_frame, sse_response
from ..store import RunRecord


class StartRunBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    messages: list[Message] | None = None
    input: str | None = Field(default=None, description="shorthand for one user text message")
    session_id: str | None = None
    user_id: str | None = Field(
        default=None, description="kept as metadata; the run belongs to the authenticated caller"
    )
    instructions: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    stream: bool = True
    background: bool = False

    @model_validator(mode="after")
    def _has_input(self) -> StartRunBody:
        if not self.messages and self.input is None:
            raise ValueError("give 'messages' (a non-empty list) or 'input' (a string)")
        return self


async def _drain(sub: Subscription) -> None:
    async for _ in sub:
        pass


class AgentList(BaseModel):
    agents: list[AgentInfo]


class MessageList(BaseModel):
    messages: list[Message]


class JsonRun(BaseModel):
    """A run's record and every event (``"stream": false``)."""

    run: RunRecord
    events: list[Event]


class NativeFrontend(Frontend):
    name = "native"
    versions = ("1",)

    def routes(self) -> list[BaseRoute]:
        tags = ["native"]
        return [
            Endpoint("/agents", self.list_agents, methods=["GET"], tags=tags,
                     summary="List the agents", response=AgentList),
            Endpoint("/agents/{name}", self.get_agent, methods=["GET"], tags=tags,
                     summary="Describe one agent", response=AgentInfo),
            Endpoint("/agents/{name}/runs", self.start_run, methods=["POST"], tags=tags,
                     summary="Start a run (SSE of its events; JSON with stream: false; "
                     "202 with background: true)",
                     body=StartRunBody, response=JsonRun, streams=True),
            Endpoint("/runs/{run_id}", self.get_run, methods=["GET"], tags=tags,
                     summary="A run's status and result", response=RunRecord),
            Endpoint("/runs/{run_id}/events", self.run_events, methods=["GET"], tags=tags,
                     summary="Replay a run's events after a seq, then follow (SSE)",
                     streams=True, query=[("after", "replay events with a greater seq")]),
            Endpoint("/runs/{run_id}/cancel", self.cancel_run, methods=["POST"], tags=tags,
                     summary="Cancel a run", response=RunRecord),
            Endpoint("/sessions/{session_id}", self.delete_session, methods=["DELETE"],
                     tags=tags, summary="Forget a session: its history, stored runs, sandbox"),
            Endpoint("/sessions/{session_id}/messages", self.session_messages, methods=["GET"],
                     tags=tags, summary="A session's history (empty for an unknown session)",
                     response=MessageList),
        ]

    def _agent_info(self, name: str) -> dict[str, Any]:
        entry = self.host.agents.get(name)
        if entry is None:
            raise HTTPProblem(
                404, str(UnknownAgent(name, sorted(self.host.agents))), code="unknown_agent"
            )
        info = entry.adapter.describe().model_dump()
        info["name"] = name
        return info

    async def list_agents(self, request: Request) -> JSONResponse:
        self.authorize(request)
        return JSONResponse({"agents": [self._agent_info(n) for n in sorted(self.host.agents)]})

    async def get_agent(self, request: Request) -> JSONResponse:
        self.authorize(request)
        return JSONResponse(self._agent_info(request.path_params["name"]))

    async def start_run(self, request: Request) -> Response:
        self.authorize(request)
        name = request.path_params["name"]
        self._agent_info(name)  # 404 before reading the body
        data = await read_json(request)
        if not isinstance(data, dict):
            raise HTTPProblem(400, "request body must be a JSON object", code="invalid_body")
        try:
            body = StartRunBody.model_validate(data)
        except ValidationError as exc:
            raise validation_problem(exc) from None
        messages = body.messages or [Message.text(body.input or "")]
        run_input = RunInput(
            agent=name,
            messages=messages,
            session_id=body.session_id,
            principal=self.principal(request),
            user_id=body.user_id,
            instructions=body.instructions,
            metadata=body.metadata,
        )
        try:
            run = await self.host.runs.start(run_input, detached=body.background)
        except START_ERRORS as exc:
            raise http_problem(exc) from None
        if body.background:
            return JSONResponse(run.record.model_dump(mode="json"), status_code=202)
        if not body.stream:
            # Waiting counts as a subscription: a client that hangs up cancels its run.
            async with self.host.runs.follow(run) as sub:
                finished, _ = await unless_disconnected(request, _drain(sub))
            if not finished:
                return Response(status_code=499)  # nobody is listening any more
            payload = b'{"run":%s,"events":%s}' % (run.record.model_dump_json().encode(),
                                                    run.events_json())
            return Response(payload, media_type="application/json")
        return sse_response(self._frames(run, -1), headers={"X-Run-Id": run.run_id})

    async def _frames(self, run: Run, after: int) -> AsyncIterator[bytes]:
        async with self.host.runs.follow(run, after) as sub:
            async for batch in sub:
                yield b"".join(sse_frame(e.model_dump_json(), id=e.seq) for e in batch)

    async def get_run(self, request: Request) -> JSONResponse:
        self.authorize(request)
        try:
            record = await self.host.runs.record(
                request.path_params["run_id"], self.principal(request)
            )
        except UnknownRun as exc:
            raise HTTPProblem(404, str(exc), code="unknown_run") from None
        return JSONResponse(record.model_dump(mode="json"))

    async def run_events(self, request: Request) -> Response:
        self.authorize(request)
        run_id = request.path_params["run_id"]
        raw_after = request.query_params.get("after", request.headers.get("last-event-id", "-1"))
        try:
            after = int(raw_after)
        except ValueError:
            raise HTTPProblem(
                400,
                f"after: {raw_after!r} is not an integer seq",
                param="after",
                code="invalid_param",
            ) from None
        principal = self.principal(request)
        run = await self.host.runs.lookup(run_id, principal)  # here or on another replica
        if run is None:
            await self._known_or_404(run_id, request)
            raise HTTPProblem(
                410,
                f"the events of run {run_id!r} are no longer kept; "
                f"GET /runs/{run_id} has its final record",
                code="events_expired",
            )
        return sse_response(self._frames(run, after), headers={"X-Run-Id": run_id})

    async def _known_or_404(self, run_id: str, request: Request) -> None:
        try:
            await self.host.runs.record(run_id, self.principal(request))
        except UnknownRun as exc:
            raise HTTPProblem(404, str(exc), code="unknown_run") from None

    async def cancel_run(self, request: Request) -> JSONResponse:
        self.authorize(request)
        try:
            record = await self.host.runs.cancel(
                request.path_params["run_id"], principal=self.principal(request)
            )
        except UnknownRun as exc:
            raise HTTPProblem(404, str(exc), code="unknown_run") from None
        return JSONResponse(record.model_dump(mode="json"))

    async def delete_session(self, request: Request) -> Response:
        self.authorize(request)
        session_id = request.path_params["session_id"]
        try:
            await self.host.forget_session(session_id, self.principal(request))
        except SessionBusy as exc:
            raise HTTPProblem(409, str(exc), code="session_busy") from None
        return Response(status_code=204)

    async def session_messages(self, request: Request) -> Response:
        self.authorize(request)
        key = self.principal(request).key(request.path_params["session_id"])
        messages = await self.host.store.get_messages(key)
        return Response(MessageList(messages=messages).model_dump_json(),
                        media_type="application/json")
