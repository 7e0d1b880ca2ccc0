"""Compose what a config names — agents, frontends, sandboxes, store — into one host.

``Host`` is the one composition path: ``agenthost serve`` with a config file, ``serve
module:attr``, and ``AgentApp`` all build a ``Config`` and hand it here.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from .adapter import Adapter
from .auth import ApiKeyAuthenticator, Auth, Authenticator
from .config import Config, check_config, is_loopback, validate_options
from .errors import ConfigError
from .events import Principal
from .frontend import Frontend
from .gate import Gate
from .plugins import Plugins, config_folder, load_object
from .requests import PRINCIPAL_KEY
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
        self.auth = self._build_auth()
        self.gate = Gate(
            self.auth,
            allow_unauthenticated=(
                self.config.host.allow_unauthenticated or self.config.host.allow_public_without_keys
            ),
            frontends_named=self.config.frontends is not None,
            requests_per_minute=self.config.quotas.requests_per_minute,
            source=self.config.source,
        )
        self.store = self._build_store()
        self.agents: dict[str, AgentEntry] = {}
        self.sandboxes = SandboxManager(
            self.config.sandbox_profiles(), self.plugins,
            max_sandboxes=self.config.host.max_sandboxes,
        )
        quotas = self.config.quotas
        self.sandboxes.max_per_principal = quotas.max_sandboxes
        h = self.config.host
        policy = RunPolicy(
            session_policy=h.session_policy,
            cancel_on_disconnect=h.cancel_on_disconnect,
            cancel_grace_seconds=h.cancel_grace_seconds,
            run_ttl_seconds=h.run_ttl_seconds,
            max_finished_runs=h.max_finished_runs,
            stream_coalesce_seconds=h.stream_coalesce_ms / 1000,
            max_finished_bytes=h.max_finished_bytes,
            max_active_runs=h.max_active_runs,
            max_queued_per_session=h.max_queued_per_session,
            max_concurrent_runs=quotas.max_concurrent_runs,
            max_queued_runs=quotas.max_queued_runs,
        )
        self.runs = RunRegistry(
            self.agents,
            self.store,
            policy,
            self.sandboxes.for_session,
            self.sandboxes.release_session,
        )
        for name, section in self.config.agents.items():
            try:
                target = load_object(section.target, config_folder(self.config.source))
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

    def _build_auth(self) -> Auth:
        keys = [
            (
                ref.resolve().get_secret_value(),
                Principal(id=ref.principal_id, name=ref.name, scopes=frozenset(ref.scopes)),
            )
            for ref in self.config.host.api_keys
        ]
        authenticators: list[Authenticator] = [ApiKeyAuthenticator(keys)] if keys else []
        for name, table in self.config.auth.items():
            options, problems = validate_options(
                self.plugins, "authenticator", name, dict(table), self.config.source, f"auth.{name}"
            )
            if problems:
                raise ConfigError(problems)
            cls = self.plugins.get("authenticator", name).load()
            authenticators.append(cls(options))
        return Auth(authenticators)

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
        return self.plugins.detect_adapter(obj)

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
            class_doc = (inspect.getdoc(type(target)) or "").strip().split("\n\n")[0]
            if description == class_doc:
                description = ""  # the framework class's docstring says nothing of this agent
        entry = AgentEntry(
            name=name,
            adapter=cls(target, options or cls.Options(), name=name, description=description),
            sandbox=sandbox,
        )
        self.agents[name] = entry
        return entry

    async def forget_session(self, session_id: str, principal: Principal) -> None:
        """Delete ``principal``'s session: stop its runs, drop their records and events, its
        history and its sandboxes."""
        key = principal.key(session_id)
        await self.runs.forget_session(key)
        await self.store.delete_session(key)
        for entry in self.agents.values():
            await entry.adapter.forget_session(key)
        for profile in self.config.sandbox_profiles():
            await self.sandboxes.release_session(profile, key)

    # -- HTTP ----------------------------------------------------------------------------

    def public_routes(self) -> list[BaseRoute]:
        """The host's own routes, open to anyone: liveness and readiness."""
        return [
            Route("/healthz", self._healthz, methods=["GET"]),
            Route("/readyz", self._readyz, methods=["GET"]),
        ]

    def routes(self) -> list[BaseRoute]:
        """Every route as the frontends declare them (``mount.mount_host`` puts the gate on
        them; serve them only through it)."""
        routes = self.public_routes()
        for frontend in self.frontends:
            routes.extend(frontend.routes())
        return routes

    async def _healthz(self, request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def _readyz(self, request: Request) -> JSONResponse:
        body = await self.readiness()
        ok = body["status"] in ("ready", "degraded")
        return JSONResponse(body, status_code=200 if ok else 503)

    async def readiness(self) -> dict[str, Any]:
        """What ``/readyz`` answers: ``ready``; ``degraded`` (an ``optional`` sandbox profile
        cannot start); or ``starting`` / ``not ready`` (503) with every reason. Sandbox
        profiles no agent names read ``unused`` and are not started; docs/health.md."""
        reasons: list[str] = []
        try:  # a real read, bounded: a store that hangs or fails is not ready
            async with asyncio.timeout(5):
                await self.store.get("agenthost.readyz", "probe")
            store = {"backend": self.store.name, "status": "ready"}
        except Exception as exc:
            store = {"backend": self.store.name, "status": "failed", "reason": repr(exc)}
            reasons.append(f"store ({self.store.name}): {exc!r}")
        fatal = bool(reasons)
        profiles = await self.sandboxes.readiness(e.sandbox for e in self.agents.values())
        for name, profile in profiles.items():
            if profile["status"] in ("failed", "starting"):
                fatal = fatal or not profile["optional"]
                optional = " (optional)" if profile["optional"] else ""
                reasons.append(f"sandbox profile {name!r}{optional}: {profile.get('reason')}")
        listener = "serving" if self.ready else "starting"
        frontends = {f.name: {"status": listener, **f.describe()} for f in self.frontends}
        status = "not ready" if fatal else "degraded" if reasons else "ready"
        if not self.ready:
            status, reasons = "starting", ["the host has not finished starting", *reasons]
        return {
            "status": status,
            "reasons": reasons,
            "agents": sorted(self.agents),
            "store": store,
            "sandboxes": profiles,
            "frontends": frontends,
        }

    @property
    def api_keys(self) -> bool:
        """True when requests must authenticate (kept for frontends that ask)."""
        return self.auth.enabled

    def authorized(self, request: Request) -> bool:
        """True when the gate admitted the request (it was served through the host's mount)."""
        return PRINCIPAL_KEY in request.scope

    def public_url(self, request: Request | None = None) -> str:
        """The base URL clients should use: configured, else from the request, else listen."""
        if self.config.host.public_url:
            return self.config.host.public_url.rstrip("/")
        if request is not None:
            return str(request.base_url).rstrip("/")
        h = self.config.host
        return f"http://{h.host}:{h.port}"

    def check_listen(self, host: str) -> None:
        """Refuse a public listen address with no authenticator unless explicitly allowed."""
        self.gate.check_listener(host)
        if is_loopback(host) and not self.auth.enabled:
            log.info("no authenticator configured: listening on loopback (%s) only", host)

    # -- lifecycle -----------------------------------------------------------------------

    async def startup(self) -> None:
        await self.store.open()
        failed = await self.store.fail_unfinished("host stopped during the run")
        if failed:
            log.warning(
                "%d run(s) left unfinished by a previous process marked failed", len(failed)
            )
        for frontend in self.frontends:
            await frontend.reconcile(failed)
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
