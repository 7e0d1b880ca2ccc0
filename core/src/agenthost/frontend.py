"""The protocol extension point: a ``Frontend`` maps a wire protocol onto ``host.runs``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from .events import Principal
from .http import HTTPProblem
from .options import NoOptions
from .requests import principal_of
from .store import RunRecord

if TYPE_CHECKING:
    from .host import Host


class Frontend:
    """Serve one protocol. Uses only ``host.agents``, ``host.runs`` and ``host.store``.

    ``versions`` lists the protocol versions this frontend can serve; a config may pin a subset
    (``versions = [...]``) and the host refuses to start when a pinned one is not servable.
    ``requirements`` states what a frontend was validated against (e.g. an SDK version range),
    shown by ``agenthost plugins`` and checked by ``agenthost check``.
    """

    name: ClassVar[str]
    versions: ClassVar[tuple[str, ...]] = ()
    requirements: ClassVar[dict[str, str]] = {}
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, host: Host, options: BaseModel, versions: tuple[str, ...] = ()):
        self.host = host
        self.options = options
        self.enabled_versions = versions or self.versions

    def routes(self) -> list[BaseRoute]:
        """The routes to mount. The host puts its gate (authentication, rate limit) on every
        one, except those ``public_path`` names or marked ``public``."""
        return []

    def public_path(self, path: str) -> bool:
        """True for a path anyone may read without credentials (an agent card, say)."""
        return False

    def problem_response(self, request: Request, problem: HTTPProblem) -> Response:
        """The response for a request the gate refused (401, 403, 429), in this protocol's
        error shape; the default is the OpenAI-style JSON error."""
        return JSONResponse(problem.body(), status_code=problem.status, headers=problem.headers)

    def principal(self, request: Request) -> Principal:
        """The principal the host's gate admitted the request as (see ``principal_of``)."""
        return principal_of(request)

    def authorize(self, request: Request) -> None:
        """Raise a 401 HTTPProblem unless the host's gate admitted the request."""
        if not self.host.authorized(request):
            raise HTTPProblem(
                401,
                "this request did not pass the host's authentication",
                type="invalid_request_error",
                code="invalid_api_key",
            )

    async def startup(self) -> None:
        """Called once before serving (open clients, warn about config)."""

    async def reconcile(self, failed: list[RunRecord]) -> None:
        """At start-up, before ``startup``: runs a previous process left unfinished, now
        failed ("host stopped during the run"); bring this frontend's records (tasks,
        background responses) in line with them."""

    async def shutdown(self) -> None:
        """Called when the host stops."""

    def describe(self) -> dict[str, Any]:
        return {"versions": list(self.enabled_versions)}
