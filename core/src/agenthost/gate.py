"""The one door of every host route and listener: listener guard, authentication, rate limit.

The host mounts every frontend's routes behind ``Gate.admit`` (see ``mount.py``) and the gRPC
listener calls it with its metadata, so a frontend cannot forget any of the three.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Mapping

from .auth import Auth, AuthError
from .config import is_loopback
from .errors import ConfigError
from .events import Principal
from .http import HTTPProblem
from .signals import signals

MAX_TRACKED_PRINCIPALS = 100_000  # rate buckets kept (least recently used go first)


class RateLimiter:
    """A token bucket per principal: ``per_minute`` requests a minute, bursts up to that."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, principal: str) -> float:
        """0 when a request may go now, else the seconds until it may."""
        now = time.monotonic()
        tokens, last = self._buckets.pop(principal, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * self._rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self._rate
        self._buckets[principal] = (tokens, now)
        while len(self._buckets) > MAX_TRACKED_PRINCIPALS:
            self._buckets.popitem(last=False)
        return wait


class Gate:
    """Admits a request (or a gRPC call) and names its principal, or refuses it."""

    def __init__(
        self,
        auth: Auth,
        *,
        allow_unauthenticated: bool,
        frontends_named: bool,
        requests_per_minute: int | None,
        source: str,
    ):
        self.auth = auth
        self.allow_unauthenticated = allow_unauthenticated
        self.frontends_named = frontends_named
        self.limiter = RateLimiter(requests_per_minute) if requests_per_minute else None
        self.source = source
        self._listeners: dict[str, str | None] = {}  # address -> why it is refused (or None)

    def listener_problem(self, host: str) -> str | None:
        """Why serving on ``host`` is refused, or None (loopback, or safe to expose)."""
        if host in self._listeners:
            return self._listeners[host]
        problem = None
        if not is_loopback(host):
            if not self.auth.enabled and not self.allow_unauthenticated:
                problem = (
                    f"{self.source}: host.listen: refusing to listen on {host} with no "
                    "authenticator; configure host.api_keys or [auth.jwt], or set "
                    "host.allow_unauthenticated = true"
                )
            elif not self.frontends_named:
                problem = (
                    f"{self.source}: frontends: a public listener ({host}) serves only the "
                    "frontends the config names; add a [frontends.NAME] table for each"
                )
        self._listeners[host] = problem
        return problem

    def check_listener(self, host: str) -> None:
        """Raise ConfigError when serving on ``host`` is refused (start-up of a listener)."""
        problem = self.listener_problem(host)
        if problem is not None:
            raise ConfigError([problem])

    async def admit(self, headers: Mapping[str, str], server_host: str | None) -> Principal:
        """The caller's principal; raises HTTPProblem 401, 403 or 429."""
        if server_host is not None:
            problem = self.listener_problem(server_host)
            if problem is not None:
                raise HTTPProblem(403, problem, type="server_error", code="listener_refused")
        try:
            principal = await self.auth.principal(headers)
        except AuthError as exc:
            raise HTTPProblem(
                401,
                str(exc),
                code="invalid_api_key",
                headers={"WWW-Authenticate": 'Bearer realm="agenthost"'},
            ) from None
        if self.limiter is not None:
            wait = self.limiter.take(principal.id)
            if wait:
                if signals.active:
                    signals.quota_rejected("requests_per_minute", principal.id)
                raise HTTPProblem(
                    429,
                    f"rate limit exceeded: [quotas] requests_per_minute = "
                    f"{self.limiter.per_minute} for principal {principal.id!r}",
                    type="rate_limit_error",
                    code="rate_limit_exceeded",
                    headers={"Retry-After": str(max(1, round(wait)))},
                )
        return principal
