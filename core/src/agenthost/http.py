"""HTTP helpers shared by the host and frontends: JSON errors, body parsing, size limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable
from typing import Any, TypeVar

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")


class HTTPProblem(Exception):
    """Raise from a handler to answer ``status`` with a JSON error body naming the problem."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


def error_response(status: int, message: str, **kw: Any) -> JSONResponse:
    problem = HTTPProblem(status, message, **kw)
    return JSONResponse(problem.body(), status_code=status)


async def read_json(request: Request) -> Any:
    """The request's JSON body, or an HTTPProblem (415 wrong type, 400 malformed)."""
    ctype = request.headers.get("content-type", "")
    if ctype and "json" not in ctype.split(";")[0]:
        raise HTTPProblem(
            415,
            f"content type must be application/json, got {ctype!r}",
            code="unsupported_media_type",
        )
    body = await request.body()
    if not body:
        raise HTTPProblem(400, "request body is empty; expected a JSON object", code="empty_body")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPProblem(
            400, f"request body is not valid JSON: {exc}", code="invalid_json"
        ) from None


def validation_problem(exc: ValidationError, prefix: str = "") -> HTTPProblem:
    """A 400 naming the first invalid field of a request body (``param`` is its dotted path)."""
    errors = exc.errors()
    # A union reports one error per member, each under the member's name: name the field.
    first = errors[0]["loc"][:1]
    group = [e for e in errors if e["loc"][:1] == first]
    loc = list(group[0]["loc"])
    for err in group[1:]:
        loc = [a for a, b in zip(loc, err["loc"], strict=False) if a == b]
    field = ".".join(str(p) for p in (prefix, *loc) if p != "") or "body"
    msgs = ["unknown parameter" if e["type"] == "extra_forbidden" else e["msg"] for e in group]
    return HTTPProblem(
        400, f"{field}: {'; or '.join(dict.fromkeys(msgs))}", param=field, code="invalid_body"
    )


async def until_disconnected(request: Request) -> None:
    """Return once the client has gone away. Call only after the body has been read."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_disconnected(request: Request, awaitable: Awaitable[T]) -> tuple[bool, T | None]:
    """Await ``awaitable`` unless the client disconnects first, in which case it is cancelled.

    Returns ``(True, result)``, or ``(False, None)`` when the client went away. A handler that
    holds a run subscription inside ``awaitable`` thereby cancels a client-owned run on
    disconnect, as a streaming response does.
    """
    work = asyncio.ensure_future(awaitable)
    watch = asyncio.ensure_future(until_disconnected(request))
    try:
        await asyncio.wait({work, watch}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        work.cancel()
        watch.cancel()
        raise
    watch.cancel()
    if work.done():
        return True, work.result()
    work.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await work
    return False, None


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(scope, receive, send)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPProblem(413, self._message(), code="request_too_large")
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"request body is larger than the limit of {self.limit} bytes (host.max_body_bytes)"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await error_response(413, self._message(), code="request_too_large")(scope, receive, send)
