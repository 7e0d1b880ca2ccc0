"""``Endpoint``: a frontend route that also says what OpenAPI should show of it.

A frontend may return plain Starlette routes; returning ``Endpoint``s instead gives
``/openapi.json`` the request body and response schemas, a summary and tags. Either way the
host mounts it behind its gate (``mount.py``); ``public=True`` leaves one route open (an agent
card, say).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.routing import Route


class Endpoint(Route):
    """A request/response route with OpenAPI metadata (``body``/``response``: pydantic models
    or types a ``TypeAdapter`` can describe)."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str],
        summary: str = "",
        tags: Sequence[str] = (),
        body: Any = None,
        response: Any = None,
        streams: bool = False,
        public: bool = False,
        query: Sequence[tuple[str, str]] = (),
        name: str | None = None,
    ):
        super().__init__(path, endpoint, methods=list(methods), name=name)
        self.summary = summary
        self.tags = list(tags)
        self.body = body
        self.response = response
        self.streams = streams  # True: may answer text/event-stream
        self.public = public
        self.query = list(query)  # (name, description) of optional query parameters
