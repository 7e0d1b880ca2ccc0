"""``[store] backend = "redis"``: where Redis is, how to log in, what is kept how long."""

from __future__ import annotations

import urllib.parse
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError

from agenthost.config import EnvRef


class RedisOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | EnvRef = Field(
        default="redis://127.0.0.1:6379/0",
        description='redis:// or rediss:// (TLS) URL; with a password in it, { env = "NAME" }',
    )
    username: str | None = Field(default=None, description="ACL user (else the URL's)")
    password: EnvRef | None = Field(default=None, description='ACL password: { env = "NAME" }')
    ssl_ca_certs: str | None = Field(default=None, description="CA bundle to verify rediss://")
    ssl_certfile: str | None = Field(default=None, description="client certificate (mutual TLS)")
    ssl_keyfile: str | None = Field(default=None, description="client key (mutual TLS)")
    prefix: str = Field(default="agenthost:", description="prefix of every key this host writes")
    connect_timeout: float = Field(default=5.0, gt=0, description="seconds to connect")
    command_timeout: float = Field(default=10.0, gt=0, description="seconds a command may take")
    session_ttl_seconds: float = Field(
        default=30 * 86400, ge=0, description="history kept after a session's last run; 0: forever"
    )
    run_ttl_seconds: float = Field(
        default=7 * 86400, ge=0, description="run records kept after their last write; 0: forever"
    )
    record_ttl_seconds: float = Field(
        default=30 * 86400, ge=0,
        description="a frontend namespace (tasks, responses) kept after its last write; 0: forever",
    )
    events_ttl_seconds: float = Field(
        default=600.0, gt=0, description="a run's event stream kept after the run ends"
    )
    max_messages: int = Field(default=10_000, gt=0, description="messages kept per session")
    max_records: int = Field(default=100_000, gt=0, description="entries per frontend namespace")
    max_event_batches: int = Field(
        default=100_000, gt=0, description="stream entries (event batches) kept per run"
    )
    flush_ms: float = Field(
        default=5.0, ge=0, le=1000,
        description="how long a run's new events gather before one write to its stream",
    )
    lease_seconds: float = Field(
        default=10.0, gt=0,
        description="a replica that has not heartbeaten for this long is lost: its runs fail "
        "and its sessions free up",
    )

    @field_validator("url")
    @classmethod
    def _no_inline_password(cls, value: Any) -> Any:
        if isinstance(value, str):
            parsed = urllib.parse.urlsplit(value)
            if parsed.scheme not in ("redis", "rediss", "unix"):
                raise ValueError(f"{value!r}: expected a redis://, rediss:// or unix:// URL")
            if parsed.password:
                raise ValueError(
                    'a URL with a password must not be written inline; use url = { env = "NAME" }'
                    ' or password = { env = "NAME" }'
                )
        return value

    def resolved_url(self) -> str:
        return self.url if isinstance(self.url, str) else self.url.resolve().get_secret_value()

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "socket_connect_timeout": self.connect_timeout,
            "socket_timeout": self.command_timeout,
            # After Redis restarts, every pooled connection is dead: retry on a fresh one.
            "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), 3),
            "retry_on_error": [ConnectionError],
        }
        if self.username is not None:
            kwargs["username"] = self.username
        if self.password is not None:
            kwargs["password"] = self.password.resolve().get_secret_value()
        for key in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
            if getattr(self, key) is not None:
                kwargs[key] = getattr(self, key)
        return kwargs
