"""The Redis store: sessions, run records and frontend records that every replica shares.

Keys (``P`` is the ``prefix`` option; session keys are owner-scoped, ``Principal.key``)::

    P run:{run_id}             a run record (JSON; the record names its owner)
    P session:{key}:messages   the session's history (a list of message JSON)
    P session:{key}:runs       ids of the session's runs (for delete_session)
    P kv:{namespace}           a frontend namespace: key -> JSON (a hash)
    P kvo:{namespace}         its keys by insertion (a sorted set; an update keeps its place)

The run bus (``agenthost_redis.bus``) adds run event streams, session leases, heartbeats and
the cancel channel under the same prefix.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import redis.asyncio as aioredis

from agenthost.bus import RunBus
from agenthost.errors import AgentHostError, StoreUnavailable
from agenthost.events import Message
from agenthost.store import RunRecord, Store

from .bus import RedisRunBus
from .options import RedisOptions

# Insert or update keeping its place; past the cap, forget the oldest entries.
PUT = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), ARGV[1])
  local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
  if over > 0 then
    local old = redis.call('ZPOPMIN', KEYS[2], over)
    for i = 1, #old, 2 do redis.call('HDEL', KEYS[1], old[i]) end
  end
end
if tonumber(ARGV[4]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
"""

# Entries after ARGV[1] (or from the start when it is empty), as key, value, key, value...
SCAN = """
local start = '-inf'
if ARGV[1] ~= '' then
  local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
  if not score then return {} end
  start = '(' .. score
end
local keys = redis.call('ZRANGE', KEYS[2], start, '+inf', 'BYSCORE', 'LIMIT', 0, ARGV[2])
local out = {}
for _, key in ipairs(keys) do
  local value = redis.call('HGET', KEYS[1], key)
  if value then out[#out + 1] = key; out[#out + 1] = value end
end
return out
"""


class RedisUnreachable(AgentHostError):
    """Redis did not answer when the store opened: the host does not start."""


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


class RedisStore(Store):
    name = "redis"
    Options = RedisOptions

    def __init__(self, options: RedisOptions | None = None):
        super().__init__(options)
        self.settings = options or RedisOptions()
        self.prefix = self.settings.prefix
        # Any: redis-py's reply types are unions of every decode setting; this client never
        # decodes, so replies are bytes.
        self._redis: Any = None
        self._bus: RedisRunBus | None = None

    @property
    def redis(self) -> Any:
        if self._redis is None:
            raise StoreUnavailable("the redis store is not open (call open() first)")
        return self._redis

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def open(self) -> None:
        url = self.settings.resolved_url()
        client = aioredis.Redis.from_url(url, **self.settings.client_kwargs())
        try:
            await client.ping()
        except Exception as exc:
            await client.aclose()
            parsed = urllib.parse.urlsplit(url)  # name where, never the password
            where = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 6379}{parsed.path}"
            raise RedisUnreachable(
                f"cannot reach Redis at {where}: {type(exc).__name__}: {exc}; start Redis or fix "
                "[store] url (and username/password, ssl_* for rediss://)"
            ) from exc
        self._redis = client
        self._put = client.register_script(PUT)
        self._scan = client.register_script(SCAN)
        if self._bus is not None:
            await self._bus.open()

    async def close(self) -> None:
        if self._bus is not None:
            await self._bus.close()
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def probe(self) -> None:
        """Raise unless Redis answers (for readiness)."""
        await self.redis.ping()

    def run_bus(self, registry: Any) -> RunBus:
        self._bus = RedisRunBus(self, registry)
        return self._bus

    # -- sessions -----------------------------------------------------------------------

    def _session(self, session_id: str, what: str) -> str:
        return self.key("session", session_id, what)

    async def append_messages(self, session_id: str, messages: list[Message]) -> None:
        if not messages:
            return
        key = self._session(session_id, "messages")
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, *[m.model_dump_json() for m in messages])
            pipe.ltrim(key, -self.settings.max_messages, -1)
            if self.settings.session_ttl_seconds:
                pipe.pexpire(key, _ms(self.settings.session_ttl_seconds))
            await pipe.execute()

    async def get_messages(self, session_id: str) -> list[Message]:
        rows = await self.redis.lrange(self._session(session_id, "messages"), 0, -1)
        return [Message.model_validate_json(row) for row in rows]

    async def delete_messages(self, session_id: str, message_ids: set[str]) -> None:
        key = self._session(session_id, "messages")
        rows = await self.redis.lrange(key, 0, -1)
        doomed = [row for row in rows if Message.model_validate_json(row).id in message_ids]
        if doomed:
            async with self.redis.pipeline(transaction=True) as pipe:
                for row in doomed:
                    pipe.lrem(key, 1, row)  # the exact bytes: concurrent appends are untouched
                await pipe.execute()

    async def delete_session(self, session_id: str) -> None:
        runs_key = self._session(session_id, "runs")
        run_ids = await self.redis.smembers(runs_key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._session(session_id, "messages"), runs_key)
            for run_id in run_ids:
                pipe.delete(self.key("run", run_id.decode()))
            await pipe.execute()

    # -- runs ---------------------------------------------------------------------------

    async def save_run(self, record: RunRecord) -> None:
        runs_key = self._session(record.session_key, "runs")
        ttl = _ms(self.settings.run_ttl_seconds) or None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.key("run", record.run_id), record.model_dump_json(), px=ttl)
            pipe.sadd(runs_key, record.run_id)
            if ttl:
                pipe.pexpire(runs_key, ttl)
            await pipe.execute()

    async def get_run(self, run_id: str) -> RunRecord | None:
        data = await self.redis.get(self.key("run", run_id))
        return RunRecord.model_validate_json(data) if data is not None else None

    async def delete_run(self, run_id: str) -> None:
        record = await self.get_run(run_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.key("run", run_id))
            if record is not None:
                pipe.srem(self._session(record.session_key, "runs"), run_id)
            await pipe.execute()

    # -- the keyed space ----------------------------------------------------------------

    def _space(self, namespace: str) -> list[str]:
        return [self.key("kv", namespace), self.key("kvo", namespace), self.key("kv:seq")]

    async def put(self, namespace: str, key: str, value: dict[str, Any]) -> None:
        data = json.dumps(value, separators=(",", ":"))
        ttl = _ms(self.settings.record_ttl_seconds)
        args: list[str | int] = [key, data, self.settings.max_records, ttl]
        await self._put(keys=self._space(namespace), args=args)

    async def get(self, namespace: str, key: str) -> dict[str, Any] | None:
        data = await self.redis.hget(self.key("kv", namespace), key)
        return json.loads(data) if data is not None else None

    async def delete(self, namespace: str, key: str) -> bool:
        space = self._space(namespace)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(space[0], key)
            pipe.zrem(space[1], key)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def scan(
        self, namespace: str, *, after: str | None = None, limit: int = 100
    ) -> list[tuple[str, dict[str, Any]]]:
        flat = await self._scan(keys=self._space(namespace)[:2], args=[after or "", limit])
        return [(flat[i].decode(), json.loads(flat[i + 1])) for i in range(0, len(flat), 2)]
