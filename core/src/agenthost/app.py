"""``AgentApp``: the programmatic API, a FastAPI app around one ``Host``.

app = AgentApp()

@app.agent("echo")
async def echo(text: str):
    yield f"you said: {text}"

app.run()          # or: uvicorn mymodule:app
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from .config import Config, load_config, split_listen
from .host import Host
from .http import BodyLimitMiddleware, HTTPProblem, error_response
from .mount import mount_host

F = TypeVar("F", bound=Callable[..., Any])


class AgentApp(FastAPI):
    """A FastAPI app serving a host's agents over every configured frontend.

    The host's routes are FastAPI routes behind the host's gate, so ``dependencies=[...]``,
    middleware and exception handlers given to the app apply to them, and ``/openapi.json``
    describes them. A ``lifespan`` given here runs inside the host's (the host is up while it
    runs).
    """

    host: Host  # type: ignore[assignment]

    def __init__(
        self,
        config: Config | str | Path | None = None,
        *,
        host: Host | None = None,
        lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
        **fastapi_kwargs: Any,
    ):
        if host is None:
            if isinstance(config, (str, Path)):
                config = load_config(config)
            host = Host(config or Config())
        # Shadows Starlette's rarely used ``host()`` route helper: ``app.host`` is the
        # composed agenthost Host everywhere in this project.
        self.host = host

        user_lifespan = lifespan

        @asynccontextmanager
        async def host_lifespan(app: FastAPI) -> AsyncIterator[Any]:
            await host.startup()
            try:
                if user_lifespan is None:
                    yield
                else:
                    async with user_lifespan(app) as state:
                        yield state
            finally:
                await host.shutdown()

        fastapi_kwargs.setdefault("title", "agenthost")
        super().__init__(lifespan=host_lifespan, **fastapi_kwargs)
        self._schemas = mount_host(self, host)
        self.add_middleware(BodyLimitMiddleware, limit=host.config.host.max_body_bytes)
        self.add_exception_handler(HTTPProblem, _problem_handler)  # type: ignore[arg-type]
        self.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
        self.add_exception_handler(Exception, _crash_handler)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's document plus the frontends' request/response schemas and the host's
        security schemes."""
        if self.openapi_schema:
            return self.openapi_schema
        schema = super().openapi()
        components = schema.setdefault("components", {})
        components.setdefault("schemas", {}).update(self._schemas.schemas)
        schemes = self.host.auth.security_schemes()
        if schemes:
            components.setdefault("securitySchemes", {}).update(schemes)
        self.openapi_schema = schema
        return schema

    def agent(
        self,
        name: str | None = None,
        *,
        adapter: str | None = None,
        description: str = "",
        sandbox: str = "default",
        **options: Any,
    ) -> Callable[[F], F]:
        """Decorator: serve the decorated object (function, graph, agent...) as an agent."""

        def decorate(target: F) -> F:
            self.host.add_agent(
                name or str(getattr(target, "__name__", "agent")),
                target,
                adapter=adapter,
                description=description,
                sandbox=sandbox,
                options=options,
            )
            return target

        return decorate

    def run(self, host: str | None = None, port: int | None = None, **uvicorn_kwargs: Any) -> None:
        """Serve with uvicorn on the configured (or given) address."""
        import uvicorn

        default_host, default_port = split_listen(self.host.config.host.listen)
        host = host or default_host
        self.host.check_listen(host)
        uvicorn_kwargs.setdefault("access_log", self.host.config.host.access_log)
        uvicorn.run(
            self,
            host=host,
            port=default_port if port is None else port,
            log_level=self.host.config.host.log_level,
            **uvicorn_kwargs,
        )


async def _problem_handler(request: Request, exc: HTTPProblem) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404:
        message = f"no route for {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"method {request.method} is not allowed on {request.url.path}"
    return error_response(exc.status_code, message)


async def _crash_handler(request: Request, exc: Exception) -> JSONResponse:
    return error_response(500, f"internal error: {type(exc).__name__}", type="server_error")
