"""One agent's A2A endpoints: the SDK's request handler, dispatchers and task store, behind
a protocol-version gate (the host's gate has authenticated the caller before).

Inside an ``AgentEndpoint`` every path is relative to where the agent is mounted:

    POST /                              JSON-RPC (1.0 methods, and 0.3 methods when 0.3 is on)
    GET  /.well-known/agent-card.json   the card (public: no credentials needed)
    POST /message:send, GET /tasks ...  HTTP+JSON 1.0
    POST /v1/message:send ...           HTTP+JSON 0.3
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from a2a.server.context import ServerCallContext
from a2a.server.jsonrpc_models import InvalidRequestError as JSONRPCInvalidRequest
from a2a.server.jsonrpc_models import JSONParseError as JSONRPCParseError
from a2a.server.request_handlers import DefaultRequestHandler, build_error_response
from a2a.server.request_handlers.response_helpers import agent_card_to_dict
from a2a.server.routes import DefaultServerCallContextBuilder, create_rest_routes
from a2a.server.routes.jsonrpc_dispatcher import JsonRpcDispatcher
from a2a.types import (
    AgentCard,
    GetTaskRequest,
    ListTasksRequest,
    Message,
    SendMessageRequest,
    Task,
    TaskState,
)
from a2a.utils.error_handlers import build_rest_error_payload
from a2a.utils.errors import (
    A2AError,
    InvalidParamsError,
    InvalidRequestError,
    MethodNotFoundError,
    VersionNotSupportedError,
)
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from packaging.version import InvalidVersion, Version
from sse_starlette.event import ensure_bytes
from sse_starlette.sse import EventSourceResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, Router

from agenthost.decode import PARSE_ERRORS, BodyError, decode_json
from agenthost.requests import principal_of
from agenthost.sse import EventStream, sse_frame

from .card import build_card
from .executor import RunExecutor
from .owner import own
from .push import PinnedPushSender
from .refusal import REFUSED, Refused
from .store import HostPushConfigStore, HostTaskStore, tasks_namespace

if TYPE_CHECKING:
    import httpx

    from .frontend import A2AFrontend

CARD_PATH = "/.well-known/agent-card.json"
AGENT_PATH = "agenthost.a2a.agent_path"  # scope key: the agent's path below the app root
CALL = "agenthost.a2a.call"  # scope key: the ServerCallContext built for the request
JSONRPC_PATH = "/"
STREAMING_RPC_METHODS = frozenset(
    {"SendStreamingMessage", "SubscribeToTask", "message/stream", "tasks/resubscribe"}
)
V03_JSONRPC_METHODS = frozenset(
    {
        "message/send",
        "message/stream",
        "tasks/get",
        "tasks/cancel",
        "tasks/resubscribe",
        "tasks/pushNotificationConfig/set",
        "tasks/pushNotificationConfig/get",
        "tasks/pushNotificationConfig/list",
        "tasks/pushNotificationConfig/delete",
        "agent/getAuthenticatedExtendedCard",
    }
)


_BODY_PATHS = ("message:send", "message:stream", "pushNotificationConfigs")  # POSTs with a body


def version_family(header: str | None) -> str | None:
    """The served version a request asks for: ``"1.0"`` for any 1.x, ``"0.3"`` for 0.3.x or
    no header (the A2A default); None for anything else."""
    if header is None or not header.strip():
        return "0.3"
    try:
        v = Version(header.strip())
    except InvalidVersion:
        return None
    if v.major == 1:
        return "1.0"
    if (v.major, v.minor) == (0, 3):
        return "0.3"
    return None


def rest_paths(v03: bool) -> list[tuple[str, list[str]]]:
    """Every HTTP+JSON path and its methods, as the SDK routes them (tenant mounts left out)."""
    routes = create_rest_routes(request_handler=_NO_HANDLER, enable_v0_3_compat=v03)
    return [(r.path, sorted(r.methods or ())) for r in routes if isinstance(r, Route)]


_NO_HANDLER: Any = None  # the SDK only stores the handler when building routes


class _ContextBuilder(DefaultServerCallContextBuilder):
    """Acts for the principal the host's gate admitted; adds the request path (so the
    executor can tell a streaming REST call) and keeps the context in the request's scope,
    where the endpoint finds a refusal (``REFUSED``) the call ended with."""

    def build(self, request: Request) -> ServerCallContext:
        context = own(super().build(request), principal_of(request))
        context.state["path"] = request.url.path
        request.scope[CALL] = context
        return context


def _refused(request: Request) -> Refused | None:
    call = request.scope.get(CALL)
    refused = call.state.get(REFUSED) if isinstance(call, ServerCallContext) else None
    return refused if isinstance(refused, Refused) else None


class _RequestHandler(DefaultRequestHandler):
    """The SDK's handler, plus: a message naming only its task joins the task's context; a
    message on a task whose turn is running may interrupt that turn; and an optional cap on
    how long a blocking SendMessage waits.

    Past the cap the client gets the task as it stands (working) and polls, subscribes or
    waits for a push, as with ``returnImmediately``; unset, a blocking call waits for a
    terminal or interrupted state as the spec says.
    """

    def __init__(
        self,
        *args: Any,
        executor: RunExecutor,
        blocking_timeout: float | None,
        interrupt: bool,
        **kwargs: Any,
    ):
        super().__init__(executor, *args, **kwargs)
        self._executor = executor
        self._blocking_timeout = blocking_timeout
        self._interrupt = interrupt

    async def _prepare(self, params: SendMessageRequest, context: ServerCallContext) -> None:
        message = params.message
        if not message.task_id:
            return
        if not message.context_id:
            # A message naming only its task belongs to that task's context; left empty, the
            # SDK would mint a new contextId and then refuse the mismatch.
            task = await self.task_store.get(message.task_id, context)
            if isinstance(task, Task):
                message.context_id = task.context_id
        if self._executor.running(message.task_id):
            if self._interrupt:
                await self._executor.supersede(message.task_id)
            else:
                self._executor.queue(message.task_id, message.message_id)

    def _refused(self, params: SendMessageRequest) -> None:
        # The SDK refused the message (e.g. the task had just finished): it awaits no turn.
        self._executor.unqueue(params.message.task_id, params.message.message_id)

    async def _host_refusal(self, context: ServerCallContext) -> Refused | None:
        """The host's refusal of the run (a quota, say), which the executor recorded; a task
        it rejected before it ever ran is deleted: the caller gets the error, not a task."""
        refused = context.state.get(REFUSED)
        if not isinstance(refused, Refused):
            return None
        if refused.rejected_task is not None:
            await self.task_store.delete(refused.rejected_task, context)
        return refused

    async def on_message_send_stream(  # type: ignore[override]
        self, params: SendMessageRequest, context: ServerCallContext
    ) -> AsyncIterator[Any]:
        await self._prepare(params, context)
        try:
            async with aclosing(super().on_message_send_stream(params, context)) as events:
                async for event in events:
                    refused = await self._host_refusal(context)
                    if refused is not None:
                        raise refused
                    yield event
        except A2AError:
            self._refused(params)
            raise

    async def on_message_send(
        self, params: SendMessageRequest, context: ServerCallContext
    ) -> Message | Task:
        await self._prepare(params, context)
        try:
            result = await self._send(params, context)
            refused = await self._host_refusal(context)
            if refused is not None:
                raise refused
            return result
        except A2AError:
            self._refused(params)
            raise

    async def _send(self, params: SendMessageRequest, context: ServerCallContext) -> Message | Task:
        if self._blocking_timeout is None or params.configuration.return_immediately:
            return await super().on_message_send(params, context)
        try:
            return await asyncio.wait_for(
                super().on_message_send(params, context), self._blocking_timeout
            )
        except TimeoutError:
            # The SDK wrote the task id it generated into the request's message.
            request = GetTaskRequest(id=params.message.task_id)
            if params.configuration.HasField("history_length"):
                request.history_length = params.configuration.history_length
            task = await self.on_get_task(request, context)
            if task is None:
                raise
            return task


class AgentEndpoint:
    """The A2A endpoints of one agent, as a Starlette router with relative paths."""

    def __init__(self, frontend: A2AFrontend, agent: str, http: httpx.AsyncClient | None):
        self.frontend = frontend
        self.host = frontend.host
        self.agent = agent
        options = frontend.options
        self.versions = tuple(frontend.enabled_versions)
        self.v03 = "0.3" in self.versions
        self.tasks = HostTaskStore(self.host.store, tasks_namespace(agent))
        self.push_configs: HostPushConfigStore | None = None
        sender = None
        if options.push_notifications and http is not None:
            self.push_configs = HostPushConfigStore(
                self.host.store, f"a2a.push.{agent}", self.tasks.owner_of
            )
            sender = PinnedPushSender(http, self.push_configs, frontend.push_policy)
        self.executor = RunExecutor(self.host, agent, merge_deltas=options.merge_deltas)
        self.handler = _RequestHandler(
            executor=self.executor,
            task_store=self.tasks,
            agent_card=self.card(self.host.public_url()),  # the handler reads its capabilities
            push_config_store=self.push_configs,
            push_sender=sender,
            push_url_validator=frontend.push_policy,
            interrupted_task_timeout=options.interrupted_task_timeout_seconds,
            blocking_timeout=options.blocking_timeout_seconds,
            interrupt=options.message_while_working == "interrupt",
        )
        builder = _ContextBuilder()
        self.jsonrpc = JsonRpcDispatcher(self.handler, builder, enable_v0_3_compat=self.v03)
        routes: list[BaseRoute] = [Route(CARD_PATH, self.get_card, methods=["GET"])]
        if "JSONRPC" in options.bindings:
            routes.append(Route(JSONRPC_PATH, self.post_jsonrpc, methods=["POST"]))
        if "HTTP+JSON" in options.bindings:
            sdk_routes = create_rest_routes(self.handler, builder, enable_v0_3_compat=self.v03)
            for route in sdk_routes:
                if isinstance(route, Mount):
                    continue  # tenants: agents are told apart by path instead
                assert isinstance(route, Route)
                routes.append(
                    Route(route.path, self._rest(route.endpoint), methods=list(route.methods or ()))
                )
        self.router = Router(routes=routes)

    # -- card ------------------------------------------------------------------------------

    def card(self, url: str, *, root: bool = False) -> AgentCard:
        entry = self.host.agents[self.agent]
        info = entry.adapter.describe().model_copy(update={"name": self.agent})
        section = self.host.config.agents.get(self.agent)
        return build_card(
            info,
            url=url,
            versions=self.versions,
            bindings=tuple(self.frontend.options.bindings),
            version=section.version if section is not None else info.version,
            push_notifications=self.push_configs is not None,
            security_schemes=self.host.auth.security_schemes(),
            grpc=self.frontend.grpc_interfaces(self.agent, url, root=root),
        )

    async def get_card(self, request: Request) -> Response:
        agent_path = request.scope.get(AGENT_PATH, "")
        # Inside the agent's mount, root_path ends with the agent's path: the app's is before it.
        app_root = request.scope.get("root_path", "").removesuffix(agent_path)
        base = self.host.public_url(Request({**request.scope, "root_path": app_root}))
        card = self.card(base + agent_path, root=not agent_path)
        header = request.headers.get("a2a-version")
        if not self.v03 or version_family(header) == "1.0":
            return JSONResponse(MessageToDict(card))
        # The 1.0 card with the 0.3 fields (url, preferredTransport, ...) added, readable by
        # both. Merging the 0.3 form of each security scheme into the 1.0 form would give it
        # two shapes at once, which 1.0 validators refuse: only a request that says 0.3 gets it.
        merged = agent_card_to_dict(card)
        if header is None and card.security_schemes:
            merged["securitySchemes"] = MessageToDict(card)["securitySchemes"]
        return JSONResponse(merged)

    # -- gates -----------------------------------------------------------------------------

    def _version_error(self, request: Request) -> A2AError | None:
        header = request.headers.get("a2a-version")
        family = version_family(header)
        if family in self.versions:
            return None
        served = ", ".join(self.versions)
        if header is None or not header.strip():
            hint = (
                "a request without A2A-Version is A2A 0.3, which this agent does not serve; "
                f"send A2A-Version: {self.versions[0]}"
            )
        else:
            hint = f"A2A-Version {header.strip()!r} is not served here"
        return VersionNotSupportedError(message=f"{hint} (served versions: {served})")

    async def post_jsonrpc(self, request: Request) -> Response | EventStream:
        try:
            body = decode_json(await request.body())
        except BodyError as exc:
            # Before the SDK reads it: it would answer a body that is not UTF-8 with -32603.
            return _jsonrpc_body_error(exc)
        error = self._version_error(request)
        body_id, method = _peek_jsonrpc(body)
        if (
            error is None
            and method in V03_JSONRPC_METHODS
            and version_family(request.headers.get("a2a-version")) == "1.0"
        ):
            error = MethodNotFoundError(
                message=f"{method!r} is an A2A 0.3 method; with A2A-Version 1.0 use the 1.0 "
                "method names (SendMessage, GetTask, ...)"
            )
        if error is None and method is not None:
            error = _invalid_enum(method, body)
        if error is not None and method is not None:
            response: Response = JSONResponse(build_error_response(body_id, error))
        else:
            response = await self.jsonrpc.handle_requests(request)
            refused = _refused(request)
            if refused is not None:
                return refused.jsonrpc_response(body_id)
        if method in STREAMING_RPC_METHODS and isinstance(response, JSONResponse):
            # A streaming method answers with an event stream even when it fails at once
            # (the error as its one event), as the spec's response format for it says.
            return EventStream(_one_error_event(bytes(response.body)))
        return _lean_stream(response)

    def _rest(self, endpoint: Any) -> Any:
        async def gated(request: Request) -> Response:
            error = self._version_error(request)
            relative = request.url.path.removeprefix(request.scope.get("root_path", ""))
            is_v03_path = relative.startswith("/v1/")
            family = version_family(request.headers.get("a2a-version"))
            if error is None and is_v03_path != (family == "0.3"):
                error = VersionNotSupportedError(
                    message=f"the path {request.url.path} belongs to A2A "
                    f"{'0.3' if is_v03_path else '1.0'}, the request asked for A2A {family}"
                )
            if error is None and relative == "/tasks":
                error = _invalid_status(request.query_params.get("status"))
            if error is None:
                error = _invalid_integer(request.query_params)
            if error is None and request.method == "POST":
                try:  # before the SDK reads the body (it reads it again, from the cache)
                    decode_json(await request.body(), required=relative.endswith(_BODY_PATHS))
                except BodyError as exc:
                    return _rest_error(InvalidRequestError(message=exc.message), exc.status)
            if error is not None:
                return _rest_error(error)
            response = await _rest_stream(await endpoint(request))
            refused = _refused(request)
            return refused.rest_response() if refused is not None else response

        return gated

    # -- lifecycle -------------------------------------------------------------------------

    async def close(self, timeout: float) -> None:
        """Let tasks the host just cancelled record it, then stop the SDK's machinery."""
        await self.tasks.wait_settled(timeout)
        await self.handler.aclose()
        await self.tasks.close_unsettled("the host shut down")


def _jsonrpc_body_error(exc: BodyError) -> JSONResponse:
    """A body ``decode_json`` refused, as JSON-RPC names it: -32700 for one that is not JSON
    text, -32600 for JSON the host does not accept (too large, too deep, a lone surrogate)."""
    kind = JSONRPCParseError if exc.code in PARSE_ERRORS else JSONRPCInvalidRequest
    return JSONResponse(
        build_error_response(None, kind(message=exc.message)),
        status_code=413 if exc.status == 413 else 200,
    )


def _rest_error(error: Exception, status: int | None = None) -> JSONResponse:
    """The HTTP+JSON error body (``{"error": {"code", "status", "message", ...}}``)."""
    payload = build_rest_error_payload(error)
    if status == 413:
        payload["error"].update(code=413, status="RESOURCE_EXHAUSTED")
    return JSONResponse(payload, status_code=payload["error"]["code"])


def _invalid_enum(method: str, body: dict[str, Any]) -> A2AError | None:
    """ListTasks: -32602 for a ``status`` the schema does not have (``"DONE"``, say).

    The SDK parses params leniently, which maps an unknown enum value to "unspecified": the
    filter would then silently match every task.
    """
    if method != "ListTasks":
        return None
    params = body.get("params")
    if not isinstance(params, dict):
        return None
    try:
        ParseDict(params, ListTasksRequest())
    except ParseError as exc:
        if "enum" in str(exc):
            return InvalidParamsError(message=str(exc))
    except Exception:  # anything else is the SDK's to report
        return None
    return None


def _invalid_integer(query: Any) -> A2AError | None:
    """An integer query parameter that is not one: -32602 (the SDK's 0.3 GetTask crashes)."""
    for name in ("historyLength", "pageSize"):
        value = query.get(name)
        if not value:
            continue
        try:
            int(value)
        except ValueError:
            return InvalidParamsError(message=f"{name}: {value!r} is not an integer")
    return None


def _invalid_status(value: str | None) -> A2AError | None:
    """ListTasks over HTTP+JSON: an unknown ``status`` filter is refused, not ignored."""
    names = list(TaskState.keys())
    if value is None or value in names or (value.isdigit() and int(value) in TaskState.values()):
        return None
    return InvalidParamsError(
        message=f"status: {value!r} is not a task state ({', '.join(names[1:])})"
    )


async def _one_error_event(body: bytes) -> AsyncIterator[bytes]:
    yield sse_frame(body.decode(), event="error")


def _lean_stream(response: Any) -> Any:
    """The SDK's sse-starlette response re-served by core's ``EventStream``.

    Same frames; but one task per stream instead of an anyio task group of three and a
    process-wide shutdown watcher (the per-request cost core measured on streaming).
    """
    if not isinstance(response, EventSourceResponse):
        return response
    return EventStream(_frames(response.body_iterator, response.sep))


async def _rest_stream(response: Any) -> Any:
    """``_lean_stream``, but a stream failing before its first event answers the error as
    JSON with its status, as the SDK does for 1.0 routes (its 0.3 routes break the stream)."""
    if not isinstance(response, EventSourceResponse):
        return response
    items = aiter(response.body_iterator)
    try:
        first = await anext(items)
    except StopAsyncIteration:
        return _lean_stream(response)
    except Exception as exc:  # what the SDK's error handler would have mapped
        return _rest_error(exc)
    return EventStream(_frames(items, response.sep, [first]))


async def _frames(
    items: AsyncIterable[Any], sep: str | None, first: list[Any] | None = None
) -> AsyncIterator[bytes]:
    try:
        for item in first or ():
            yield ensure_bytes(item, sep or "\r\n")
        async for item in items:
            yield ensure_bytes(item, sep or "\r\n")
    finally:
        aclose = getattr(items, "aclose", None)
        if aclose is not None:
            await aclose()


def _peek_jsonrpc(body: Any) -> tuple[Any, str | None]:
    """The id and method of a JSON-RPC body, when it is a well-formed request object."""
    if not isinstance(body, dict) or not isinstance(body.get("method"), str):
        return None, None
    request_id = body.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, str | int | None):
        request_id = None
    return request_id, body["method"]
