"""Mount a host's routes on a FastAPI app, every one behind the host's gate.

Request/response routes become FastAPI routes with the gate as a dependency, so the app's own
``dependencies``, middleware and exception handlers apply to them and ``/openapi.json``
describes them; any other route (an ASGI mount, say) is wrapped whole. Either way a frontend
cannot forget authentication: only what it marks public skips the gate.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .http import HTTPProblem
from .requests import PRINCIPAL_KEY
from .routing import Endpoint
from .signals import signals

if TYPE_CHECKING:
    from .frontend import Frontend
    from .host import Host

_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def _server_host(scope: Scope) -> str | None:
    server = scope.get("server")
    return server[0] if server else None


class GatedApp:
    """An ASGI app admitted through the gate first (for routes that are not request/response)."""

    def __init__(self, app: ASGIApp, host: Host, frontend: Frontend):
        self.app = app
        self.host = host
        self.frontend = frontend

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            request = Request(scope, receive)
            if not self.frontend.public_path(request.url.path):
                headers = request.headers
                try:
                    principal = await self.host.gate.admit(headers, _server_host(scope))
                except HTTPProblem as problem:
                    await self.frontend.problem_response(request, problem)(scope, receive, send)
                    return
                scope[PRINCIPAL_KEY] = principal
                if signals.active:
                    signals.request(request, self.frontend.name, principal)
        await self.app(scope, receive, send)


def _handler(
    endpoint: Callable[..., Any], host: Host, frontend: Frontend, *, public: bool
) -> Callable[..., Any]:
    """The endpoint behind the gate. The gate runs here, not as a FastAPI dependency: it is
    on every request's path, and dependency solving costs more than the gate itself."""
    gate = host.gate

    async def handle(request: Request) -> Any:
        if not public:
            try:
                principal = await gate.admit(request.headers, _server_host(request.scope))
            except HTTPProblem as problem:
                return frontend.problem_response(request, problem)
            request.scope[PRINCIPAL_KEY] = principal
            if signals.active:
                signals.request(request, frontend.name, principal)
        result = endpoint(request)
        return await result if inspect.isawaitable(result) else result

    handle.__name__ = getattr(endpoint, "__name__", "handle")
    handle.__doc__ = inspect.getdoc(endpoint)
    return handle


class SchemaBook:
    """Component schemas of the mounted endpoints, merged into ``/openapi.json``."""

    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, model: Any) -> dict[str, Any]:
        schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}")
        self.schemas.update(schema.pop("$defs", {}))
        name = getattr(model, "__name__", None)
        if name is None:
            return schema
        self.schemas[name] = schema
        return {"$ref": f"#/components/schemas/{name}"}


def _openapi_extra(
    route: Route, book: SchemaBook, security: list[dict[str, list[str]]]
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(route.path)
    ]
    if isinstance(route, Endpoint):
        params += [
            {"name": n, "in": "query", "required": False, "description": d,
             "schema": {"type": "string"}}
            for n, d in route.query
        ]
        if route.body is not None:
            extra["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": book.ref(route.body)}},
            }
        responses: dict[str, Any] = {}
        content: dict[str, Any] = {}
        if route.response is not None:
            content["application/json"] = {"schema": book.ref(route.response)}
        if route.streams:
            content["text/event-stream"] = {"schema": {"type": "string"}}
        if content:
            responses["200"] = {"description": "OK", "content": content}
        if responses:
            extra["responses"] = responses
    if params:
        extra["parameters"] = params
    if security:
        extra["security"] = security
    return extra


def mount_host(app: FastAPI, host: Host) -> SchemaBook:
    """Add every route of ``host`` to ``app`` behind the gate; the schemas for OpenAPI."""
    book = SchemaBook()
    for route in host.public_routes():
        app.router.routes.append(route)
    security: list[dict[str, list[str]]] = [{n: []} for n in host.auth.security_schemes()]
    for frontend in host.frontends:
        for route in frontend.routes():
            _mount_one(app, route, host, frontend, book, security)
    return book


def _mount_one(
    app: FastAPI,
    route: BaseRoute,
    host: Host,
    frontend: Frontend,
    book: SchemaBook,
    security: list[dict[str, list[str]]],
) -> None:
    public = bool(getattr(route, "public", False))
    is_handler = isinstance(route, Route) and (
        inspect.isfunction(route.endpoint) or inspect.ismethod(route.endpoint)
    )
    if not is_handler:
        if not public:
            if isinstance(route, (Mount, Route)):
                route.app = GatedApp(route.app, host, frontend)
            else:
                raise TypeError(
                    f"frontend {frontend.name!r}: cannot put the gate on a "
                    f"{type(route).__name__}; return Route, Endpoint or Mount objects"
                )
        app.router.routes.append(route)
        return
    assert isinstance(route, Route)
    public = public or frontend.public_path(route.path)
    methods = sorted((route.methods or {"GET"}) - {"HEAD"})
    app.router.add_api_route(
        route.path,
        _handler(route.endpoint, host, frontend, public=public),
        methods=methods,
        name=route.name,
        include_in_schema=route.include_in_schema,
        summary=getattr(route, "summary", None) or None,
        tags=list(getattr(route, "tags", None) or [frontend.name]),
        openapi_extra=_openapi_extra(route, book, [] if public else security),
    )
