"""agenthost-redis: a store on Redis that lets many replicas share sessions, runs, run events,
cancels and session leases (``[store] backend = "redis"``)."""

from .options import RedisOptions
from .store import RedisStore

__all__ = ["RedisOptions", "RedisStore"]
