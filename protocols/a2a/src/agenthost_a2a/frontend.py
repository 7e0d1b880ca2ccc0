"""The ``a2a`` frontend: every agent of the host as an A2A agent (1.0 and 0.3).

Paths (``prefix`` is ``/a2a`` unless configured):

    {prefix}/{agent}/.well-known/agent-card.json    the agent's card
    {prefix}/{agent}                                 JSON-RPC (also {prefix}/{agent}/)
    {prefix}/{agent}/message:send, /tasks/{id} ...   HTTP+JSON 1.0
    {prefix}/{agent}/v1/message:send ...             HTTP+JSON 0.3

and the default agent (``default_agent``, else the first) also at the root:
``/.well-known/agent-card.json``, JSON-RPC at ``/``, ``/message:send``, ``/tasks``,
``/v1/tasks/{id}`` ... None of these shadows core's (``/agents``, ``/runs``, ``/healthz``,
``/readyz``) or OpenAI's (``/v1/responses``, ``/v1/chat/completions``, ``/v1/models``) paths.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from typing import TYPE_CHECKING, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import Receive, Scope, Send

from agenthost.config import is_loopback
from agenthost.events import Principal
from agenthost.frontend import Frontend
from agenthost.http import HTTPProblem
from agenthost.store import RunRecord

from . import _tracing  # noqa: F401  (first: before anything imports a2a-sdk)
from .endpoint import AGENT_PATH, CARD_PATH, JSONRPC_PATH, AgentEndpoint, rest_paths
from .push import PushUrlPolicy
from .refusal import Refused
from .store import HostTaskStore, tasks_namespace

if TYPE_CHECKING:
    from agenthost.host import Host

log = logging.getLogger("agenthost.a2a")

Binding = Literal["JSONRPC", "HTTP+JSON"]
BINDINGS: tuple[Binding, ...] = ("JSONRPC", "HTTP+JSON")


class A2AOptions(BaseModel):
    """``[frontends.a2a]`` options (``versions = [...]`` pins protocol versions)."""

    model_config = ConfigDict(extra="forbid")

    default_agent: str | None = Field(
        default=None, description="the agent also served at the root; the first agent when unset"
    )
    serve_root: bool = Field(default=True, description="serve the default agent at the root paths")
    path_prefix: str = Field(default="/a2a", description="where each agent's endpoints live")
    bindings: list[Binding] = Field(default_factory=lambda: list(BINDINGS))
    push_notifications: bool = True
    merge_deltas: bool = Field(
        default=True,
        description="text deltas that arrive together go out as one artifact update (each "
        "update costs a task-store write); false: one update per delta",
    )
    push_allowed_hosts: list[str] | None = Field(
        default=None,
        description="push targets allowed (names, *.suffix, addresses, networks); unset: any "
        "public host, never private or loopback ones",
    )
    push_timeout_seconds: float = Field(default=10.0, gt=0)
    blocking_timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description="answer a blocking SendMessage with the task as it stands (working) "
        "after this long; unset: wait for a terminal or interrupted state",
    )
    message_while_working: Literal["queue", "interrupt"] = Field(
        default="queue",
        description="a message on a task whose turn is running: queue it for the next turn, "
        "or interrupt the running turn (its work stops) and start one with the message",
    )
    grpc_listen: str | None = Field(
        default=None,
        description="serve the gRPC binding on this host:port (needs agenthost-a2a[grpc])",
    )
    grpc_url: str | None = Field(
        default=None,
        description="the URL cards advertise for gRPC; default: http:// the card's host and "
        "the port grpc_listen got",
    )
    interrupted_task_timeout_seconds: float | None = Field(
        default=None,
        gt=0,
        description="release the in-memory state of a task idle in input-required after this",
    )

    @field_validator("path_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        value = "/" + value.strip("/")
        if value == "/":
            raise ValueError("must not be '/': the root serves the default agent")
        return value

    @field_validator("bindings")
    @classmethod
    def _bindings(cls, value: list[Binding]) -> list[Binding]:
        if not value:
            raise ValueError("name at least one binding (JSONRPC, HTTP+JSON)")
        return value


class _Forward:
    """An ASGI app handing a request to one agent's endpoints.

    ``mode``: ``"root"`` (the default agent, paths as they are), ``"mount"`` (the agent named
    in the path, below ``{prefix}/{agent}``) or ``"rpc"`` (JSON-RPC posted to exactly
    ``{prefix}/{agent}``, which a mount does not match).
    """

    def __init__(self, frontend: A2AFrontend, mode: Literal["root", "mount", "rpc"]):
        self.frontend = frontend
        self.mode = mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        name = None if self.mode == "root" else scope.get("path_params", {}).get("agent")
        endpoint = self.frontend.endpoint(name)
        if endpoint is None:
            await self.frontend.unknown_agent(name)(scope, receive, send)
            return
        if self.mode == "root":
            await endpoint.router(scope, receive, send)
            return
        scope = {**scope, AGENT_PATH: f"{self.frontend.options.path_prefix}/{name}"}
        if self.mode == "mount":
            await endpoint.router(scope, receive, send)
            return
        response = await endpoint.post_jsonrpc(Request(scope, receive))
        await response(scope, receive, send)


class A2AFrontend(Frontend):
    """A2A over JSON-RPC, HTTP+JSON and (optionally) gRPC, on a2a-sdk's request handler."""

    name = "a2a"
    versions = ("1.0", "0.3")
    requirements = {"a2a-sdk": ">=1.3,<2"}
    Options = A2AOptions
    options: A2AOptions

    def __init__(self, host: Host, options: BaseModel | None, versions: tuple[str, ...] = ()):
        super().__init__(host, options or A2AOptions(), versions)
        self.push_policy = PushUrlPolicy(self.options.push_allowed_hosts)
        self._agent_path = re.compile(re.escape(self.options.path_prefix) + r"/[^/]+$")
        self._endpoints: dict[str, AgentEndpoint] = {}
        self._http: httpx.AsyncClient | None = None
        self._grpc: Any = None
        self.grpc_port: int | None = None

    # -- routing ---------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        prefix = self.options.path_prefix
        routes: list[BaseRoute] = [
            Route(prefix + "/{agent}", _Forward(self, "rpc"), methods=["POST"]),
            Mount(prefix + "/{agent}", app=_Forward(self, "mount")),
        ]
        if self.options.serve_root:
            default = _Forward(self, "root")
            paths = [(CARD_PATH, ["GET"])]
            if "JSONRPC" in self.options.bindings:
                paths.append((JSONRPC_PATH, ["POST"]))
            if "HTTP+JSON" in self.options.bindings:
                paths += rest_paths("0.3" in self.enabled_versions)
            routes += [Route(path, default, methods=methods) for path, methods in paths]
        return routes

    def public_path(self, path: str) -> bool:
        # Agent cards are public (they say how to authenticate): the root card and each
        # agent's, under any root path. The extended cards (GetExtendedAgentCard,
        # /extendedAgentCard, /v1/card) are not: they are for authenticated callers.
        head = path.removesuffix(CARD_PATH)
        if head == path:
            return False
        return head == "" or self._agent_path.search(head) is not None

    def _is_jsonrpc(self, request: Request) -> bool:
        """A JSON-RPC post: to the root or to exactly ``{prefix}/{agent}`` (slash or not)."""
        if request.method != "POST" or "JSONRPC" not in self.options.bindings:
            return False
        path = request.url.path.removeprefix(request.scope.get("root_path", "")) or "/"
        return path == JSONRPC_PATH or self._agent_path.fullmatch(path.rstrip("/")) is not None

    def problem_response(self, request: Request, problem: HTTPProblem) -> Response:
        """The gate's 401/403/429 as A2A errors: a JSON-RPC error object for JSON-RPC posts,
        the HTTP+JSON error shape otherwise, with the gate's HTTP status and headers."""
        refused = Refused.from_problem(problem)
        return refused.jsonrpc_response() if self._is_jsonrpc(request) else refused.rest_response()

    async def reconcile(self, failed: list[RunRecord]) -> None:
        """Tasks whose run a stopped host left unfinished read ``failed``, not ``working``."""
        for record in failed:
            task_id = record.metadata.get("a2a_task_id")
            if task_id:
                tasks = HostTaskStore(self.host.store, tasks_namespace(record.agent))
                reason = (record.error or {}).get("message", "host stopped during the run")
                await tasks.fail_left_over(task_id, Principal(id=record.owner), reason)

    def default_agent(self) -> str | None:
        if self.options.default_agent is not None:
            return self.options.default_agent
        return next(iter(self.host.agents), None)

    def endpoint(self, name: str | None) -> AgentEndpoint | None:
        """The endpoints of agent ``name`` (None: the default agent), built on first use."""
        name = name if name is not None else self.default_agent()
        if name is None or name not in self.host.agents:
            return None
        endpoint = self._endpoints.get(name)
        if endpoint is None:
            endpoint = self._endpoints[name] = AgentEndpoint(self, name, self._http)
        return endpoint

    def unknown_agent(self, name: str | None) -> Response:
        known = ", ".join(sorted(self.host.agents)) or "none"
        what = f"no agent named {name!r}" if name else "this host serves no agents"
        return JSONResponse(
            {
                "error": {
                    "code": 404,
                    "status": "NOT_FOUND",
                    "message": f"{what}; known agents: {known}",
                }
            },
            status_code=404,
        )

    # -- lifecycle -------------------------------------------------------------------------

    async def startup(self) -> None:
        if self.options.push_notifications:
            # No redirects and no proxies from the environment: a delivery connects only to
            # the address the push policy screened (see push.py).
            self._http = httpx.AsyncClient(
                timeout=self.options.push_timeout_seconds, follow_redirects=False, trust_env=False
            )
        default = self.options.default_agent
        if default is not None and default not in self.host.agents:
            known = ", ".join(sorted(self.host.agents)) or "none"
            raise ValueError(
                f"frontends.a2a.default_agent: no agent named {default!r}; known agents: {known}"
            )
        for name in self.host.agents:
            self.endpoint(name)
        if self.options.grpc_listen is not None:
            await self._start_grpc(self.options.grpc_listen)
        self._warn_loopback()

    async def _start_grpc(self, listen: str) -> None:
        try:
            from .grpc_server import start_grpc
        except ImportError as exc:
            raise RuntimeError(
                f"frontends.a2a.grpc_listen is set but gRPC support is missing ({exc}); "
                "install it with: pip install 'agenthost-a2a[grpc]'"
            ) from exc
        self._grpc, self.grpc_port = await start_grpc(self, listen)
        log.info("a2a: gRPC binding on %s (port %d)", listen, self.grpc_port)

    def grpc_interfaces(self, agent: str, card_url: str, *, root: bool) -> list[Any]:
        """The gRPC interfaces of ``agent``'s card (none when gRPC is not served)."""
        if self.grpc_port is None:
            return []
        # Imported here: this module imports nothing of a2a-sdk before _tracing has run.
        from a2a.types import AgentInterface

        # An absolute URL, as the spec has interface URLs (clients' channel factories take
        # the host:port from it); gRPC is served without TLS unless a proxy in front adds it.
        url = self.options.grpc_url or (
            f"http://{urllib.parse.urlparse(card_url).hostname or '127.0.0.1'}:{self.grpc_port}"
        )
        is_default = agent == self.default_agent()
        out = []
        if "1.0" in self.enabled_versions:
            tenant = "" if root and is_default else agent
            out.append(
                AgentInterface(
                    url=url, protocol_binding="GRPC", protocol_version="1.0", tenant=tenant
                )
            )
        if "0.3" in self.enabled_versions and is_default:  # 0.3 has no tenant: default only
            out.append(AgentInterface(url=url, protocol_binding="GRPC", protocol_version="0.3"))
        return out

    def _warn_loopback(self) -> None:
        public = self.host.config.host.public_url
        if public is None:
            listen = self.host.config.host.host
            if is_loopback(listen) or listen in ("0.0.0.0", "::"):
                log.warning(
                    "a2a: host.public_url is not set: agent cards advertise the address each "
                    "client used (e.g. %s), which other machines cannot reach; set "
                    "host.public_url to the URL clients should use",
                    self.host.public_url(),
                )
            return
        hostname = urllib.parse.urlparse(public).hostname or ""
        if is_loopback(hostname):
            log.warning(
                "a2a: agent cards advertise the loopback address %s (host.public_url); "
                "only clients on this machine can reach it",
                public,
            )

    async def shutdown(self) -> None:
        grace = self.host.runs.policy.cancel_grace_seconds
        if self._grpc is not None:
            await self._grpc.stop(grace)
            self._grpc = None
        for endpoint in self._endpoints.values():
            await endpoint.close(grace)
        self._endpoints.clear()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def describe(self) -> dict[str, object]:
        return {
            "versions": list(self.enabled_versions),
            "bindings": list(self.options.bindings),
            "path_prefix": self.options.path_prefix,
            "default_agent": self.default_agent(),
            "grpc_port": self.grpc_port,
        }
