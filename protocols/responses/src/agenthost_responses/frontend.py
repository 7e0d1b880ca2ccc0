"""The ``responses`` frontend: the OpenAI Responses API over the host's runs.

    POST   /v1/responses                      create: JSON, SSE (stream), or at once (background)
    GET    /v1/responses/{id}                 retrieve; ?stream=true replays, then follows
    DELETE /v1/responses/{id}                 delete a stored response (cancels it if running)
    POST   /v1/responses/{id}/cancel          cancel a background response
    GET    /v1/responses/{id}/input_items     the input messages of a stored response

``model`` names the agent; a response is one run (the response id is the run id);
``previous_response_id`` and ``conversation`` map to the run's session. Every id is the
caller's: another principal's response or conversation reads as unknown (404), and a
conversation id names a session of the caller's own. ``store: false`` and ``DELETE`` erase the
run: its record, its events and the history entries it added (docs/openai.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from agenthost.errors import SessionBusy, UnknownRun
from agenthost.events import Principal, RunFailed, RunInput
from agenthost.frontend import Frontend
from agenthost.http import HTTPProblem, read_json, unless_disconnected
from agenthost.params import PolicyOptions
from agenthost.problems import START_ERRORS, http_problem
from agenthost.routing import Endpoint
from agenthost.runs import Run
from agenthost.sse import sse_response
from agenthost.store import RunRecord, owned_namespace
from agenthost.versions import pin_field

from .items import input_items_page
from .request import POLICY, CreateBody, parse_create, parse_input
from .schema import ResponseDeleted, ResponseInputItems, ResponseObject
from .view import ResponseView, events_of

log = logging.getLogger("agenthost.responses")

# The openai SDK versions this frontend's tests pass with, every event and body validated by
# that version's own types (sampled: 3.1.0, 3.3.1, 3.5, 3.8 to 3.10, 3.20, 3.30, 3.40, 3.45, 3.50,
# 3.51 (the dev pin), 3.54; 3.0.0 fails: its mcp_call.error is a string). See docs/openai.md.
VALIDATED = ">=3.1,<3.55"
RESPONSES = "responses"  # store namespace: response id -> stored response
TAILS = "responses.tails"  # store namespace: session id -> its latest stored response id


class ResponsesOptions(PolicyOptions):
    """Options of ``[frontends.responses]``."""

    policy = POLICY

    openai: str | None = pin_field("openai", VALIDATED, ">=3.51,<3.52")
    code_tools: list[str] = Field(
        default_factory=lambda: ["run_python"],
        description="tool names shown as code_interpreter_call items (others: mcp_call)",
    )


@dataclass
class _Found:
    """A response the client may see: a run still in memory, or only its stored record."""

    id: str
    session_id: str
    background: bool
    run: Run | None = None
    stored: dict[str, Any] | None = None


class ResponsesFrontend(Frontend):
    """The OpenAI Responses API."""

    name = "responses"
    versions = ("v1",)
    requirements = {"openai": VALIDATED}
    Options = ResponsesOptions

    def __init__(self, host: Any, options: BaseModel | None, versions: tuple[str, ...] = ()):
        super().__init__(host, options or ResponsesOptions(), versions)
        opts = self.options
        assert isinstance(opts, ResponsesOptions)
        self._ignored = frozenset(opts.ignore_params)
        self._code_tools = frozenset(opts.code_tools)
        self._pending: set[asyncio.Task[None]] = set()

    def routes(self) -> list[BaseRoute]:
        tags = ["responses"]
        one = "/v1/responses/{response_id}"
        return [
            Endpoint(
                "/v1/responses",
                self.create,
                methods=["POST"],
                tags=tags,
                summary="Create a response (JSON; SSE with stream: true; at once with "
                "background: true)",
                body=CreateBody,
                response=ResponseObject,
                streams=True,
            ),
            Endpoint(
                one,
                self.retrieve,
                methods=["GET"],
                tags=tags,
                summary="Retrieve a stored response; ?stream=true replays, then follows",
                response=ResponseObject,
                streams=True,
                query=[
                    ("stream", "true: the response's events as SSE"),
                    ("starting_after", "with stream: events after this sequence_number"),
                ],
            ),
            Endpoint(
                one,
                self.delete,
                methods=["DELETE"],
                tags=tags,
                summary="Delete a stored response: its record, run and history entries "
                "(a running one is cancelled first)",
                response=ResponseDeleted,
            ),
            Endpoint(
                one + "/cancel",
                self.cancel,
                methods=["POST"],
                tags=tags,
                summary="Cancel a background response",
                response=ResponseObject,
            ),
            Endpoint(
                one + "/input_items",
                self.input_items,
                methods=["GET"],
                tags=tags,
                summary="The input items of a stored response",
                response=ResponseInputItems,
                query=[
                    ("order", "asc or desc (default)"),
                    ("after", "an item id: the items after it"),
                    ("limit", "1 to 100 (default 20)"),
                ],
            ),
        ]

    async def shutdown(self) -> None:
        # runs were cancelled before this: let their final records reach (or leave) the store
        if self._pending:
            await asyncio.wait(self._pending, timeout=5)

    # -- create --------------------------------------------------------------------------

    async def create(self, request: Request) -> Response:
        self.authorize(request)
        body = parse_create(await read_json(request), self._ignored)
        if body.model not in self.host.agents:
            raise _no_model(body.model)
        messages = parse_input(body.input)
        principal = self.principal(request)
        session_id = await self._session(body, principal)
        response_id = "resp_" + uuid.uuid4().hex
        store = body.store is not False
        if session_id is None and store:
            # A stored response can be continued (previous_response_id): it starts a session
            # that keeps its sandbox. An unstored one cannot: its run is one-off.
            session_id = "s_" + response_id.removeprefix("resp_")
        background = bool(body.background)
        conversation = body.conversation_id
        base = {
            "id": response_id,
            "object": "response",
            "created_at": int(time.time()),
            "model": body.model,
            "instructions": body.instructions,
            "metadata": body.metadata or {},
            "previous_response_id": body.previous_response_id,
            "conversation": {"id": conversation} if conversation else None,
            "background": background,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "text": {"format": {"type": "text"}},
            "truncation": "disabled",
            "user": body.user,
            "safety_identifier": body.safety_identifier,
        }
        run_input = RunInput(
            agent=body.model,
            messages=messages,
            session_id=session_id,
            principal=principal,
            user_id=body.safety_identifier or body.user,
            instructions=body.instructions,
            metadata=dict(body.metadata or {}),
        )
        meta = {"base": base, "store": store, "background": background}
        try:
            run = await self.host.runs.start(
                run_input, detached=background, run_id=response_id, metadata={RESPONSES: meta}
            )
        except SessionBusy as exc:
            raise HTTPProblem(
                409,
                f"{exc}; a conversation runs one response at a time",
                param="conversation" if conversation else "previous_response_id",
                code="conversation_busy",
            ) from None
        except START_ERRORS as exc:
            raise http_problem(exc) from None
        # A stored response is kept once it ends; an unstored one is erased once it ends
        # (record, events, history entries): nothing of it is readable afterwards.
        settled: asyncio.Task[None] | None = None  # the answer ends once this is done
        if store:
            self._track(self._store_when_done(run))
        else:
            settled = self._track(self._erase_when_ended(run))
        if body.stream:
            return sse_response(self._frames(run, -1, settled), headers={"X-Run-Id": run.run_id})
        if background:
            return JSONResponse(self._view(run).response())
        finished, _ = await unless_disconnected(request, self._drain(run))
        if not finished:
            return Response(status_code=499)  # nobody is listening; the run was cancelled
        if settled is not None:
            await asyncio.shield(settled)
        return JSONResponse(self._view(run).response())

    def _track(self, work: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task

    async def _session(self, body: CreateBody, principal: Principal) -> str | None:
        """The session the new response continues, checking it can continue it."""
        if body.conversation_id is not None:
            return body.conversation_id  # a conversation id is created on first use
        previous = body.previous_response_id
        if previous is None:
            return None
        found = await self._find(previous, principal)
        if found is None:
            raise HTTPProblem(
                404,
                f"previous_response_id: no stored response {previous!r}",
                param="previous_response_id",
                code="previous_response_not_found",
            )
        tail = self.host.runs.session_run(found.session_id, principal)
        if tail is not None:
            latest: str | None = tail.run_id
        else:
            tails = owned_namespace(TAILS, principal)
            latest = (await self.host.store.get(tails, found.session_id) or {}).get("response_id")
        if latest is not None and latest != previous:
            if tail is not None and not tail.done:
                raise HTTPProblem(
                    409,
                    f"previous_response_id: {latest!r} is still in progress in this conversation",
                    param="previous_response_id",
                    code="conversation_busy",
                )
            raise HTTPProblem(
                400,
                f"previous_response_id: {previous!r} is not the latest response of its "
                f"conversation (that is {latest!r}); the agent keeps one history per "
                "conversation, so branching from an earlier response is not supported",
                param="previous_response_id",
                code="unsupported_branch",
            )
        return found.session_id

    # -- views of a run ------------------------------------------------------------------

    def _view(self, run: Run, *, stream: bool = False, after: int = -1) -> ResponseView:
        """A view of ``run``; fed with every event so far unless streaming (the caller feeds)."""
        meta = run.record.metadata[RESPONSES]
        view = ResponseView(
            meta["base"],
            code_tools=self._code_tools,
            server_label=run.record.agent,
            container_id=f"sbx_{run.record.session_id}",
            finished_at=run.record.finished_at if run.done else None,
            stream=stream,
            after=after,
        )
        if not stream:
            for event in run.events:
                view.feed(event)
            if run.record.status == "queued":
                view.status = "queued"  # waiting behind the conversation's previous run
        return view

    async def _frames(
        self, run: Run, after: int, settled: asyncio.Task[None] | None = None
    ) -> AsyncIterator[bytes]:
        view = self._view(run, stream=True, after=after)
        async with self.host.runs.follow(run) as sub:
            chunk = view.take()
            if chunk:
                yield chunk
            async for batch in sub:
                for event in batch:
                    view.feed(event)
                chunk = view.take()
                if chunk:
                    yield chunk
        if settled is not None:
            await asyncio.shield(settled)

    async def _drain(self, run: Run) -> None:
        # a subscriber, so that a disconnect cancels the run like a dropped stream does
        async with self.host.runs.follow(run) as sub:
            async for _ in sub:
                pass

    async def _erase_when_ended(self, run: Run) -> None:
        await _ended(run)
        await self._erase(run.record, ephemeral=run.ephemeral)

    async def _erase(self, record: RunRecord, *, ephemeral: bool) -> None:
        """Forget a response's run: its events, its run record, the history entries it added
        (a one-off session's whole history). A conversation's sandbox stays the conversation's."""
        self.host.runs.forget(record.run_id)
        try:
            if ephemeral:  # a one-off session: all of it goes, framework memory too
                await self.host.store.delete_session(record.session_key)
                entry = self.host.agents.get(record.agent)
                if entry is not None:
                    await entry.adapter.forget_session(record.session_key)
                return
            ids = {m.id for m in record.input + record.output}
            await self.host.store.delete_messages(record.session_key, ids)
            await self.host.store.delete_run(record.run_id)
        except Exception:
            log.exception("could not erase response %s", record.run_id)

    async def _store_when_done(self, run: Run) -> None:
        await run.wait()
        meta = run.record.metadata[RESPONSES]
        if meta.get("deleted"):
            return
        record = {
            "response": self._view(run).response(),
            "session_id": run.record.session_id,
            "background": meta["background"],
            "error": run.record.error,
            "input": [m.model_dump(mode="json") for m in run.record.input],
        }
        principal = run.input.principal
        try:
            await self.host.store.put(owned_namespace(RESPONSES, principal), run.run_id, record)
            await self.host.store.put(
                owned_namespace(TAILS, principal),
                run.record.session_id,
                {"response_id": run.run_id},
            )
        except Exception:
            log.exception("could not store response %s", run.run_id)

    async def reconcile(self, failed: list[RunRecord]) -> None:
        """Stored responses a stopped host left unfinished: stored as failed, so their ids
        answer (``status: failed``) instead of 404."""
        for record in failed:
            meta = record.metadata.get(RESPONSES)
            if meta is None or not meta.get("store") or meta.get("deleted"):
                continue
            view = ResponseView(meta["base"], finished_at=record.finished_at)
            error = record.error or {}
            view.feed(RunFailed(code=error.get("code", "host_stopped"),
                                message=error.get("message", "")))
            stored = {
                "response": view.response(),
                "session_id": record.session_id,
                "background": meta["background"],
                "error": record.error,
                "input": [m.model_dump(mode="json") for m in record.input],
            }
            owner = Principal(id=record.owner)
            await self.host.store.put(owned_namespace(RESPONSES, owner), record.run_id, stored)

    async def _find(self, response_id: str, principal: Principal) -> _Found | None:
        run = self.host.runs.get(response_id, principal)
        meta = run.record.metadata.get(RESPONSES) if run is not None else None
        if run is not None and meta is not None:
            if not meta["store"] or meta.get("deleted"):
                return None
            return _Found(response_id, run.record.session_id, meta["background"], run=run)
        stored = await self.host.store.get(owned_namespace(RESPONSES, principal), response_id)
        if stored is None:
            return None
        return _Found(response_id, stored["session_id"], stored["background"], stored=stored)

    async def _lookup(self, request: Request) -> _Found:
        self.authorize(request)
        response_id = request.path_params["response_id"]
        found = await self._find(response_id, self.principal(request))
        if found is None:
            raise HTTPProblem(
                404, f"no stored response with id {response_id!r}", code="response_not_found"
            )
        return found

    # -- retrieve, delete, cancel --------------------------------------------------------

    async def retrieve(self, request: Request) -> Response:
        found = await self._lookup(request)
        query = request.query_params
        if query.get("stream", "false").lower() not in ("true", "1"):
            if found.run is not None:
                return JSONResponse(self._view(found.run).response())
            assert found.stored is not None
            return JSONResponse(found.stored["response"])
        raw = query.get("starting_after", "-1")
        try:
            after = int(raw)
        except ValueError:
            raise HTTPProblem(
                400,
                f"starting_after: {raw!r} is not an integer sequence number",
                param="starting_after",
                code="invalid_param",
            ) from None
        if found.run is not None:
            return sse_response(self._frames(found.run, after), headers={"X-Run-Id": found.id})
        assert found.stored is not None
        return sse_response(self._stored_frames(found.stored, after))

    async def _stored_frames(self, stored: dict[str, Any], after: int) -> AsyncIterator[bytes]:
        response = stored["response"]
        view = ResponseView(
            {k: v for k, v in response.items() if k not in _DYNAMIC},
            code_tools=self._code_tools,
            server_label=_first_label(response),
            container_id=_first_container(response),
            finished_at=response.get("completed_at") or response["created_at"],
            stream=True,
            after=after,
        )
        for event in events_of(response, stored.get("error"), next(iter(self._code_tools), "")):
            view.feed(event)
        yield view.take()

    async def delete(self, request: Request) -> JSONResponse:
        found = await self._lookup(request)
        principal = self.principal(request)
        if found.run is not None:
            found.run.record.metadata[RESPONSES]["deleted"] = True
            if not found.run.done:
                await self.host.runs.stop(found.run, "response deleted")
            await _ended(found.run)
            previous = found.run.record.metadata[RESPONSES]["base"]["previous_response_id"]
        else:
            assert found.stored is not None
            previous = found.stored["response"].get("previous_response_id")
        await self.host.store.delete(owned_namespace(RESPONSES, principal), found.id)
        tails = owned_namespace(TAILS, principal)
        tail = await self.host.store.get(tails, found.session_id)
        if tail is not None and tail.get("response_id") == found.id:
            # the conversation goes on from the response before it (its turn is gone)
            if previous is not None:
                await self.host.store.put(tails, found.session_id, {"response_id": previous})
            else:
                await self.host.store.delete(tails, found.session_id)
        try:
            record = await self.host.runs.record(found.id, principal)
        except UnknownRun:  # the store no longer has it (its record was evicted)
            self.host.runs.forget(found.id)
        else:
            await self._erase(record, ephemeral=False)
        return JSONResponse({"id": found.id, "object": "response", "deleted": True})

    async def cancel(self, request: Request) -> JSONResponse:
        found = await self._lookup(request)
        if not found.background:
            raise HTTPProblem(
                400,
                "only responses created with background=true can be cancelled; "
                "a foreground response is cancelled by closing its connection",
                code="not_cancellable",
            )
        if found.run is None:
            assert found.stored is not None
            return JSONResponse(found.stored["response"])  # already finished: nothing to do
        await self.host.runs.stop(found.run, "cancelled by request")
        return JSONResponse(self._view(found.run).response())

    async def input_items(self, request: Request) -> JSONResponse:
        found = await self._lookup(request)
        if found.run is not None:
            messages = [m.model_dump(mode="json") for m in found.run.record.input]
        else:
            assert found.stored is not None
            messages = found.stored["input"]
        return JSONResponse(input_items_page(found.id, messages, request.query_params))


_DYNAMIC = frozenset({"status", "output", "error", "incomplete_details", "usage", "completed_at"})


async def _ended(run: Run) -> None:
    """Wait until the run has ended and its task has stored what it keeps."""
    await run.wait()
    if run.task is not None and not run.task.done():
        await asyncio.wait({run.task})


def _first_label(response: dict[str, Any]) -> str:
    for item in response["output"]:
        if item["type"] == "mcp_call":
            return str(item["server_label"])
    return str(response["model"])


def _first_container(response: dict[str, Any]) -> str:
    for item in response["output"]:
        if item["type"] == "code_interpreter_call":
            return str(item["container_id"])
    return ""


def _no_model(model: str) -> HTTPProblem:
    return HTTPProblem(
        404,
        f"the model {model!r} does not exist: models are the agents this host serves "
        "(GET /v1/models lists them)",
        param="model",
        code="model_not_found",
    )
