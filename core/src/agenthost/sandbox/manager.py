"""``SandboxManager``: the sandbox profiles of a host, their warm pools and sessions' sandboxes.

One profile per ``[sandboxes.NAME]`` table. A profile starts (its backend prepares, then its
warm pool of ``pool`` executors fills) on first use, or at ``start(names)`` for the names
given — so a host whose agents never touch a sandbox spawns no executor. A session gets its
own sandbox on first use (from the pool when one is warm) and keeps it until it sits idle for
``idle_ttl`` seconds or the host stops. ``max_sandboxes`` caps the live sandboxes of a
profile, warm ones included. ``readiness(used)`` says, per profile, whether it can serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..config import _format_errors
from ..errors import ConfigError
from ..events import Principal, new_id
from ..signals import signals
from .api import Sandbox
from .backend import SandboxBackend, SandboxSpec
from .errors import (
    SandboxCapacityError,
    SandboxClosed,
    SandboxError,
    SandboxQuotaError,
    SandboxStartError,
)
from .options import SandboxOptions
from .protocol import Connection, ProtocolBroken

log = logging.getLogger("agenthost.sandbox")
START_TIMEOUT = 60.0  # seconds for a backend to bring an executor up to its hello frame
# A refill after a sandbox is handed out waits this long: starting an executor costs a core
# for ~10-20 ms, and the session's first call (usually short) should not compete with it.
REFILL_DELAY = 0.05
READY_TIMEOUT = 10.0  # seconds a readiness check waits for a profile to start


@dataclass
class _Profile:
    name: str
    backend: SandboxBackend
    options: SandboxOptions
    warm: list[Connection] = field(default_factory=list)
    live: int = 0  # executors alive or being started: warm, in use, spawning
    spawning: int = 0
    started: asyncio.Task[None] | None = None
    refill: asyncio.Task[None] | None = None
    sandboxes: set[Sandbox] = field(default_factory=set)


class SandboxManager:
    """Builds, pools, hands out and reaps sandboxes for every configured profile."""

    def __init__(
        self,
        profiles: dict[str, dict[str, Any]],
        plugins: Any,
        *,
        max_sandboxes: int | None = None,
    ) -> None:
        """``max_sandboxes``: a cap on live sandboxes across all profiles (each profile's own
        ``max_sandboxes`` applies too)."""
        self._tables = {name: dict(table) for name, table in profiles.items()}
        self.max_sandboxes = max_sandboxes
        self._plugins = plugins
        self._profiles: dict[str, _Profile] = {}
        self._sessions: dict[tuple[str, str], Sandbox] = {}
        self._owners: dict[tuple[str, str], str] = {}  # session sandbox -> principal id
        self.max_per_principal: int | None = None  # [quotas] max_sandboxes
        self._creating: dict[tuple[str, str], asyncio.Future[Sandbox]] = {}
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    # -- profiles ----------------------------------------------------------------------------

    def _profile(self, name: str) -> _Profile:
        profile = self._profiles.get(name)
        if profile is not None:
            return profile
        if name not in self._tables:
            known = ", ".join(sorted(self._tables)) or "none"
            raise SandboxError(f"no sandbox profile named {name!r} (configured: {known})")
        table = dict(self._tables[name])
        backend_name = table.pop("backend", "local")
        cls = self._plugins.get("sandbox_backend", backend_name).load()
        try:
            options = cls.Options.model_validate(table)
        except ValidationError as exc:
            raise ConfigError(_format_errors("<config>", f"sandboxes.{name}", exc)) from None
        profile = _Profile(name, cls(options), options)
        self._profiles[name] = profile
        return profile

    async def _started(self, profile: _Profile) -> None:
        if profile.started is None:
            profile.started = asyncio.create_task(self._start_profile(profile))
            self._ensure_reaper()
        await asyncio.shield(profile.started)

    async def _start_profile(self, p: _Profile) -> None:
        """Start ``p``'s backend. On failure, release what it prepared and forget the profile,
        so the next use (or readiness check) tries again from scratch."""
        try:
            await p.backend.start()
        except Exception as exc:
            if self._profiles.get(p.name) is p:
                del self._profiles[p.name]
            try:
                await p.backend.close()
            except Exception as close_exc:
                log.error("sandbox profile %r: cleanup after a failed start: %s", p.name, close_exc)
            reason = f"sandbox profile {p.name!r} ([sandboxes.{p.name}]) cannot start: {exc}"
            log.error("%s", reason)
            raise SandboxStartError(reason) from exc
        info = p.backend.describe()
        log.info(
            "sandbox profile %r started: backend %s; %s",
            p.name,
            p.backend.name,
            info.get("isolation") or "",
        )

    async def start(self, names: Iterable[str] = ()) -> None:
        """Validate every profile (no process starts); start the ``names`` given and fill
        their warm pools. Other profiles start on first use. Failures are logged."""
        for name in self._tables:
            self._profile(name)
        for name in names:
            try:
                profile = self._profile(name)
                await self._started(profile)
                await self._fill(profile)
            except Exception as exc:
                log.error("sandbox profile %r cannot start: %s", name, exc)

    async def readiness(self, used: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Per profile: ``status`` ``ready``, ``failed`` (with ``reason``), ``starting``, or
        ``unused`` (no agent names it; not started). Checking a used profile starts it if need
        be: the backend prepares (probes bwrap, reaches its engine) but spawns no executor."""
        wanted = set(used)
        names = [*self._tables, *sorted(wanted - set(self._tables))]
        results = await asyncio.gather(*(self._ready(n, n in wanted) for n in names))
        return dict(zip(names, results, strict=True))

    async def _ready(self, name: str, used: bool) -> dict[str, Any]:
        table = self._tables.get(name, {})
        out: dict[str, Any] = {
            "backend": table.get("backend", "local"),
            "optional": bool(table.get("optional", False)),
        }
        if not used:
            return {**out, "status": "unused"}
        try:
            profile = self._profile(name)
            async with asyncio.timeout(READY_TIMEOUT):
                await self._started(profile)
                await profile.backend.probe()
        except TimeoutError:
            return {**out, "status": "starting", "reason": f"not started after {READY_TIMEOUT:g} s"}
        except Exception as exc:
            return {**out, "status": "failed", "reason": str(exc)}
        return {**out, "status": "ready", "isolation": profile.backend.describe().get("isolation")}

    # -- sessions ----------------------------------------------------------------------------

    async def for_session(
        self, profile: str, session_id: str, principal: Principal | None = None
    ) -> Sandbox:
        """The session's sandbox in ``profile``: created on first use, then kept.

        ``session_id`` is the owner-scoped session key; ``principal`` (its owner) is held to
        ``max_per_principal`` live session sandboxes.
        """
        if self._closed:
            raise SandboxClosed("the sandbox manager is closed")
        key = (profile, session_id)
        sandbox = self._sessions.get(key)
        if sandbox is not None and not sandbox.closed:
            sandbox.last_used = time.monotonic()
            return sandbox
        pending = self._creating.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        owner = principal.id if principal is not None else None
        if owner is not None and self.max_per_principal is not None:
            held = sum(1 for o in self._owners.values() if o == owner)
            if held >= self.max_per_principal:
                raise SandboxQuotaError(owner, self.max_per_principal)
        future: asyncio.Future[Sandbox] = asyncio.get_running_loop().create_future()
        self._creating[key] = future
        if owner is not None:
            self._owners[key] = owner  # counted while it is being created too
        try:
            sandbox = await self.create(profile)
            self._sessions[key] = sandbox
            future.set_result(sandbox)
            return sandbox
        except BaseException as exc:
            self._owners.pop(key, None)
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        finally:
            del self._creating[key]

    async def release_session(self, profile: str, session_id: str) -> None:
        """Close the session's sandbox in ``profile`` now, if it has one (a one-off run's)."""
        sandbox = self._sessions.get((profile, session_id))
        if sandbox is not None:
            await sandbox.close()

    async def create(self, profile: str = "default") -> Sandbox:
        """A new sandbox of ``profile`` owned by the caller (close it when done)."""
        began = time.monotonic()
        p = self._profile(profile)
        await self._started(p)
        conn = await self._acquire(p)

        async def connect() -> Connection:
            return await self._acquire(p, replacing=True)

        async def release(conn: Connection) -> None:
            await self._release(p, conn)

        sandbox = Sandbox(
            sandbox_id=new_id("sbx"),
            profile=profile,
            options=p.options,
            connection=conn,
            connect=connect,
            release=release,
            on_close=self._forget,
        )
        p.sandboxes.add(sandbox)
        if signals.active:
            signals.sandbox_acquired(sandbox, time.monotonic() - began)
        return sandbox

    def _forget(self, sandbox: Sandbox) -> None:
        profile = self._profiles.get(sandbox.profile)
        if profile is not None:
            profile.sandboxes.discard(sandbox)
        for key, value in list(self._sessions.items()):
            if value is sandbox:
                del self._sessions[key]
                self._owners.pop(key, None)

    # -- executors: spawn, pool, release ------------------------------------------------------

    async def _acquire(self, p: _Profile, replacing: bool = False) -> Connection:
        while p.warm:
            conn = p.warm.pop()
            if conn.alive():
                self._schedule_fill(p, REFILL_DELAY)
                return conn
            await self._release(p, conn)
        if not replacing and p.live >= p.options.max_sandboxes:
            raise SandboxCapacityError(p.name, p.options.max_sandboxes)
        if not replacing and not self._room_overall():
            assert self.max_sandboxes is not None
            raise SandboxCapacityError(None, self.max_sandboxes)
        conn = await self._spawn(p)
        self._schedule_fill(p, REFILL_DELAY)
        return conn

    async def _spawn(self, p: _Profile) -> Connection:
        p.live += 1
        p.spawning += 1
        spec = SandboxSpec(
            sandbox_id=new_id("sbx"),
            profile=p.name,
            options=p.options,
            labels={"agenthost.profile": p.name, "agenthost.owner-pid": str(os.getpid())},
        )
        process = None
        began = time.monotonic()
        try:
            process = await p.backend.spawn(spec)
            limit = p.options.timeout + START_TIMEOUT
            conn = Connection(process, max_frame=max(p.options.max_file_read, 1 << 20) + (1 << 20))
            try:
                async with asyncio.timeout(limit):
                    await conn.handshake()
            except TimeoutError:
                await conn.close()
                raise SandboxStartError(
                    f"sandbox profile {p.name!r}: the executor did not start within {limit:g} s"
                ) from None
            except ProtocolBroken as exc:
                await conn.close()
                raise SandboxStartError(
                    f"sandbox profile {p.name!r}: the executor did not start: {exc}"
                ) from None
            if signals.active:
                signals.sandbox_spawned(p.name, time.monotonic() - began)
            return conn
        except BaseException:
            p.live -= 1
            if process is not None:
                with contextlib.suppress(Exception):
                    await process.kill()
            raise
        finally:
            p.spawning -= 1

    async def _release(self, p: _Profile, conn: Connection) -> None:
        if not conn.closed:
            p.live -= 1
            await conn.close()
        self._schedule_fill(p)

    def _room_overall(self) -> bool:
        if self.max_sandboxes is None:
            return True
        return sum(p.live for p in self._profiles.values()) < self.max_sandboxes

    def _schedule_fill(self, p: _Profile, delay: float = 0.0) -> None:
        if self._closed or (p.refill is not None and not p.refill.done()):
            return
        if (
            len(p.warm) + p.spawning < p.options.pool
            and p.live < p.options.max_sandboxes
            and self._room_overall()
        ):
            p.refill = asyncio.create_task(self._fill(p, delay))

    async def _fill(self, p: _Profile, delay: float = 0.0) -> None:
        if delay:
            await asyncio.sleep(delay)
        while (
            not self._closed
            and len(p.warm) + p.spawning < p.options.pool
            and p.live < p.options.max_sandboxes
            and self._room_overall()
        ):
            try:
                conn = await self._spawn(p)
            except SandboxError as exc:
                log.error("sandbox profile %r: cannot warm a sandbox: %s", p.name, exc)
                return
            if self._closed:
                await self._release(p, conn)
                return
            p.warm.append(conn)

    # -- reaping and shutdown -----------------------------------------------------------------

    def _ensure_reaper(self) -> None:
        if self._reaper is None and not self._closed:
            self._reaper = asyncio.create_task(self._reap_forever())

    async def _reap_forever(self) -> None:
        while True:
            ttls = [p.options.idle_ttl for p in self._profiles.values()] or [60.0]
            await asyncio.sleep(max(0.05, min(30.0, min(ttls) / 4)))
            try:
                await self.reap()
            except Exception:
                log.exception("sandbox reaper: a pass failed; the next one runs as planned")

    async def reap(self) -> int:
        """Close sandboxes idle past their profile's ``idle_ttl``; returns how many."""
        now = time.monotonic()
        idle = [
            sandbox
            for p in self._profiles.values()
            for sandbox in list(p.sandboxes)
            if not sandbox.busy and now - sandbox.last_used > p.options.idle_ttl
        ]
        closed = 0
        for sandbox in idle:
            ttl = self._profiles[sandbox.profile].options.idle_ttl
            closed += await sandbox.close_if_idle(ttl, f"reaped after {ttl:g} s idle")
        return closed

    async def close(self) -> None:
        """Kill every sandbox and warm executor, then let the backends clean up."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(BaseException):
                await self._reaper
        for p in self._profiles.values():
            if p.refill is not None:
                p.refill.cancel()
                with contextlib.suppress(BaseException):
                    await p.refill
        for p in self._profiles.values():
            await asyncio.gather(
                *(s.close("the host is shutting down") for s in list(p.sandboxes)),
                *(self._release(p, conn) for conn in p.warm),
                return_exceptions=True,
            )
            p.warm.clear()
            if p.started is not None:
                with contextlib.suppress(Exception):
                    await p.started
                    await p.backend.close()
        self._sessions.clear()

    def describe(self) -> dict[str, Any]:
        """Per profile: backend, isolation, pool, warm, live and session counts."""
        out: dict[str, Any] = {}
        for name, table in self._tables.items():
            p = self._profiles.get(name)
            if p is None:
                out[name] = {"backend": table.get("backend", "local"), "started": False}
                continue
            out[name] = {
                **p.backend.describe(),
                "started": p.started is not None,
                "pool": p.options.pool,
                "warm": len(p.warm),
                "live": p.live,
                "max_sandboxes": p.options.max_sandboxes,
                "sessions": sum(1 for (prof, _) in self._sessions if prof == name),
            }
        return out
