"""The protocol extension point: a ``Frontend`` maps a wire protocol onto ``host.runs``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.routing import BaseRoute

from .http import HTTPProblem
from .options import NoOptions

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
        return []

    def authorize(self, request: Request) -> None:
        """Raise a 401 HTTPProblem unless the request bears a configured API key (or none are)."""
        if not self.host.authorized(request):
            raise HTTPProblem(
                401,
                "missing or invalid API key; send it as 'Authorization: Bearer <key>'",
                type="invalid_request_error",
                code="invalid_api_key",
            )

    async def startup(self) -> None:
        """Called once before serving (open clients, warn about config)."""

    async def shutdown(self) -> None:
        """Called when the host stops."""

    def describe(self) -> dict[str, Any]:
        return {"versions": list(self.enabled_versions)}
