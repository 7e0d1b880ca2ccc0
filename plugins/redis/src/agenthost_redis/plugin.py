"""Entry point of ``agenthost-redis``: registers the ``redis`` store (lazily)."""

from __future__ import annotations

from typing import Any

from agenthost import hookimpl


@hookimpl
def register_stores(register: Any) -> None:
    register("redis", "agenthost_redis.store:RedisStore")
