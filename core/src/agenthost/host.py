"""Compose what a config names — agents, frontends, sandboxes, store — into one host.

``Host`` is the one composition path: ``agenthost serve`` with a config file, ``serve
module:attr``, and ``AgentApp`` all build a ``Config`` and hand it here.
"""

from __future__ import annotations

import hmac
import inspect
import logging
import sys
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from .adapter import Adapter
from .config import Config, check_config, is_loopback, validate_options
from .errors import ConfigError, PluginError
from .frontend import Frontend
from .plugins import Plugins, load_object
from .runs import AgentEntry, RunPolicy, RunRegistry
from .sandbox.manager import SandboxManager
from .store import Store

log = logging.getLogger("agenthost")


class Host:
    """The composed host. Frontends use ``agents``, ``runs`` and ``store``."""

    def __init__(self, config: Config | None = None, plugins: Plugins | None = None):
        self.config = config or Config()
        self.plugins = plugins or Plugins()
        problems = check_config(self.config, self.plugins)
        if problems:
            raise ConfigError(problems)
        self.api_keys = [ref.resolve().get_secret_value() for ref in self.config.host.api_keys]
        self.store = self._build_store()
        self.agents: dict[str, AgentEntry] = {}
        self.sandboxes = SandboxManager(
            self.config.sandbox_profiles(), self.plugins,
            max_sandboxes=self.config.host.max_sandboxes,
        )
        h = self.config.host
        policy = RunPolicy(
            session_policy=h.session_policy,
            cancel_on_disconnect=h.cancel_on_disconnect,
            cancel_grace_seconds=h.cancel_grace_seconds,
            run_ttl_seconds=h.run_ttl_seconds,
            max_finished_runs=h.max_finished_runs,
            stream_coalesce_seconds=h.stream_coalesce_ms / 1000,
        )
        self.runs = RunRegistry(self.agents, self.store, policy, self.sandboxes.for_session)
        for name, section in self.config.agents.items():
            try:
                target = load_object(section.target)
            except Exception as exc:
                raise ConfigError([
                    f"{self.config.source}: agents.{name}.target: cannot import "
                    f"{section.target!r}: {type(exc).__name__}: {exc}"
                ]) from exc
            self.add_agent(
                name,
                target,
                adapter=section.adapter,
                description=section.description,
                sandbox=section.sandbox,
                options=section.options,
            )
        self.frontends = [self._build_frontend(n) for n in self.config.frontend_names(self.plugins)]
        self.ready = False

    # -- composition ---------------------------------------------------------------------

    def _build_store(self) -> Store:
        table = dict(self.config.store)
        name = table.pop("backend", "memory")
        options, _ = validate_options(self.plugins, "store", name, table, "", "store")
        store: Store = self.plugins.get("store", name).load()(options)
        return store

    def _build_frontend(self, name: str) -> Frontend:
        table = dict((self.config.frontends or {}).get(name, {}))
        versions = tuple(str(v) for v in table.pop("versions", ()) or ())
        options, _ = validate_options(self.plugins, "frontend", name, table, "", name)
        cls = self.plugins.get("frontend", name).load()
        frontend: Frontend = cls(self, options, versions)
        return frontend

    def detect_adapter(self, obj: object) -> str:
        """The name of the adapter that can serve ``obj``; frameworks before plain callables."""
        candidates = []
        for component in self.plugins.components["adapter"].values():
            modules = component.details.get("detect_modules", ())
            # Import an adapter only when its framework is already loaded (or it is generic).
            if modules and not any(m in sys.modules for m in modules):
                continue
            candidates.append(component)
        candidates.sort(key=lambda c: c.details.get("fallback", False))
        for component in candidates:
            if component.load().detects(obj):
                return component.name
        raise PluginError(
            f"no installed adapter can serve {type(obj).__module__}.{type(obj).__qualname__}; "
            f"installed adapters: {', '.join(self.plugins.names('adapter'))}"
        )

    def add_agent(
        self,
        name: str,
        target: Any,
        *,
        adapter: str | None = None,
        description: str = "",
        sandbox: str = "default",
        options: dict[str, Any] | BaseModel | None = None,
    ) -> AgentEntry:
        """Serve ``target`` as agent ``name`` (the adapter detected when not named)."""
        adapter_name = adapter or self.detect_adapter(target)
        component = self.plugins.get("adapter", adapter_name)
        cls: type[Adapter] = component.load()
        if not isinstance(options, BaseModel):
            options, problems = validate_options(
                self.plugins,
                "adapter",
                adapter_name,
                dict(options or {}),
                self.config.source,
                f"agents.{name}.options",
            )
            if problems:
                raise ConfigError(problems)
        if not description:
            description = (inspect.getdoc(target) or "").strip().split("\n\n")[0]
            if description == inspect.getdoc(type(target)):
                description = ""
        entry = AgentEntry(
            name=name,
            adapter=cls(target, options or cls.Options(), name=name, description=description),
            sandbox=sandbox,
        )
        self.agents[name] = entry
        return entry

    # -- HTTP ----------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route("/healthz", self._healthz, methods=["GET"]),
            Route("/readyz", self._readyz, methods=["GET"]),
        ]
        for frontend in self.frontends:
            routes.extend(frontend.routes())
        return routes

    async def _healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def _readyz(self, request: Request) -> JSONResponse:
        body = {"status": "ready" if self.ready else "starting", "agents": sorted(self.agents)}
        return JSONResponse(body, status_code=200 if self.ready else 503)

    def authorized(self, request: Request) -> bool:
        """True when no API keys are configured or the request bears one as a Bearer token."""
        if not self.api_keys:
            return True
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        return any(hmac.compare_digest(token.strip(), key) for key in self.api_keys)

    def public_url(self, request: Request | None = None) -> str:
        """The base URL clients should use: configured, else from the request, else listen."""
        if self.config.host.public_url:
            return self.config.host.public_url.rstrip("/")
        if request is not None:
            return str(request.base_url).rstrip("/")
        h = self.config.host
        return f"http://{h.host}:{h.port}"

    def check_listen(self, host: str) -> None:
        """Refuse a public listen address with no API keys unless explicitly allowed."""
        if is_loopback(host):
            if not self.api_keys:
                log.info("no API keys configured: listening on loopback (%s) only", host)
            return
        if not self.api_keys and not self.config.host.allow_public_without_keys:
            raise ConfigError(
                [
                    f"{self.config.source}: host.listen: refusing to listen on {host} with no "
                    "API keys; configure host.api_keys or set host.allow_public_without_keys = true"
                ]
            )

    # -- lifecycle -----------------------------------------------------------------------

    async def startup(self) -> None:
        await self.store.open()
        await self.sandboxes.start()
        for frontend in self.frontends:
            await frontend.startup()
        for result in self.plugins.call_hook("startup", host=self):
            if inspect.isawaitable(result):
                await result
        self.ready = True
        log.info(
            "agenthost ready: agents=%s frontends=%s",
            sorted(self.agents),
            [f.name for f in self.frontends],
        )

    async def shutdown(self) -> None:
        self.ready = False
        await self.runs.close()
        for result in self.plugins.call_hook("shutdown", host=self):
            if inspect.isawaitable(result):
                await result
        for frontend in self.frontends:
            await frontend.shutdown()
        for entry in self.agents.values():
            try:
                await entry.adapter.aclose()
            except Exception:
                log.exception("adapter of agent %r failed to close", entry.name)
        await self.sandboxes.close()
        await self.store.close()
