"""HTTP helpers shared by the host and frontends: JSON errors, body parsing, size limits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any, TypeVar

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .decode import BodyError, decode_json, too_large

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
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers

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
    """The request's JSON body (``decode_json``), or an HTTPProblem: 415 wrong type, 413 too
    large, 400 anything else ``decode_json`` refuses."""
    ctype = request.headers.get("content-type", "")
    if ctype and "json" not in ctype.split(";")[0]:
        raise HTTPProblem(
            415,
            f"content type must be application/json, got {ctype!r}",
            code="unsupported_media_type",
        )
    try:
        return decode_json(await request.body())
    except BodyError as exc:
        raise HTTPProblem(exc.status, exc.message, code=exc.code) from None


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


MAX_HEADER_BYTES = 32 * 1024
"""Header names and values of one request, together: more gets 431 (nginx's default is 32 KB
too). The server has buffered them by then; this keeps them from reaching the app."""


class BodyLimitMiddleware:
    """Bodies over ``limit`` bytes get 413, whether declared (Content-Length) or streamed;
    headers over ``header_limit`` bytes together get 431.

    Reading past the limit (or at all, when the declared length is over it) raises a 413
    ``BodyError`` from ``receive`` without reading on, so a frontend answers in its protocol's
    shape. Whatever the app answers instead (an SDK that swallows the error answers 500), or
    if it fails, the client gets this middleware's 413.
    """

    def __init__(self, app: ASGIApp, limit: int, header_limit: int = MAX_HEADER_BYTES):
        self.app = app
        self.limit = limit
        self.header_limit = header_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(name) + len(value) for name, value in scope["headers"])
        if header_bytes > self.header_limit:
            message = (
                f"request headers are {header_bytes} bytes together, over the limit of "
                f"{self.header_limit} bytes"
            )
            await self._refuse(scope, send, error_response(431, message, code="headers_too_large"))
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        over = declared.isdigit() and int(declared) > self.limit
        seen = 0
        started = replaced = False

        async def limited_receive() -> Message:
            nonlocal seen, over
            if over:
                raise too_large(self.limit)
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise too_large(self.limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if message["type"] == "http.response.start" and not started:
                started = True
                replaced = over and message["status"] != 413
                if replaced:
                    await self._refuse(scope, send, self._too_large())
                    return
            if not replaced:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not over:
                raise
            if not started:  # the app failed on the refused body: the 413 says why
                await self._refuse(scope, send, self._too_large())

    def _too_large(self) -> JSONResponse:
        return error_response(413, too_large(self.limit).message, code="request_too_large")

    async def _refuse(self, scope: Scope, send: Send, response: JSONResponse) -> None:
        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, no_body, send)
