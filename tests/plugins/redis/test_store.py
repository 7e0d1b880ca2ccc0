"""The Redis store: the store conformance suite on a real redis-server, plus its own limits."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from agenthost.config import validate_options
from agenthost.events import Message
from agenthost.plugins import Plugins
from agenthost.store import RunRecord, Store
from agenthost.testing.store_suite import StoreSuite
from agenthost_redis import RedisOptions, RedisStore
from agenthost_redis.store import RedisUnreachable

from .conftest import RedisServer, free_port


def options(server: RedisServer, **kw: object) -> RedisOptions:
    return RedisOptions.model_validate(
        {"url": server.url, "prefix": f"t{uuid.uuid4().hex[:8]}:", **kw}
    )


class TestRedisStore(StoreSuite):
    @pytest_asyncio.fixture
    async def store(self, redis_server: RedisServer) -> AsyncIterator[Store]:
        store = RedisStore(options(redis_server))
        await store.open()
        yield store
        await store.close()


@pytest_asyncio.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


async def test_caps_and_ttls(redis_server: RedisServer, raw: aioredis.Redis) -> None:
    opts = options(redis_server, max_messages=3, max_records=2, session_ttl_seconds=60,
                   run_ttl_seconds=120, record_ttl_seconds=0)
    store = RedisStore(opts)
    await store.open()
    try:
        await store.append_messages("s", [Message.text(str(i)) for i in range(5)])
        assert [m.text_content for m in await store.get_messages("s")] == ["2", "3", "4"]
        for key in ["x", "y", "z"]:
            await store.put("ns", key, {"k": key})
        assert [k for k, _ in await store.scan("ns")] == ["y", "z"]
        assert await store.get("ns", "x") is None
        await store.save_run(RunRecord(run_id="r_1", agent="a", session_id="s"))
        assert 0 < await raw.pttl(f"{opts.prefix}session:s:messages") <= 60_000
        assert 60_000 < await raw.pttl(f"{opts.prefix}run:r_1") <= 120_000
        assert await raw.pttl(f"{opts.prefix}kv:ns") == -1  # 0: kept until deleted
    finally:
        await store.close()


async def test_acl_user_and_password(redis_server: RedisServer, raw: aioredis.Redis,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    user, secret = f"u{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    await raw.execute_command("ACL", "SETUSER", user, "on", f">{secret}", "~*", "&*", "+@all")
    monkeypatch.setenv("TEST_REDIS_PASSWORD", secret)
    good = options(redis_server, username=user, password={"env": "TEST_REDIS_PASSWORD"})
    store = RedisStore(good)
    await store.open()
    try:
        await store.put("ns", "k", {"v": 1})
        assert await store.get("ns", "k") == {"v": 1}
        whoami = await store.redis.execute_command("ACL", "WHOAMI")
        assert whoami.decode() == user
    finally:
        await store.close()
    monkeypatch.setenv("TEST_REDIS_PASSWORD", "wrong")
    with pytest.raises(RedisUnreachable) as info:
        await RedisStore(good).open()
    assert "cannot reach Redis at redis://127.0.0.1:" in str(info.value)
    assert "wrong" not in str(info.value)


def test_url_with_a_password_must_come_from_the_environment() -> None:
    table = {"url": "redis://u:hunter2@127.0.0.1:6379/0"}
    _, problems = validate_options(Plugins(), "store", "redis", table, "a.toml", "store")
    assert any(p.startswith("a.toml: store.url") and 'use url = { env = "NAME" }' in p
               for p in problems), problems
    assert not any("hunter2" in p for p in problems)


async def test_url_from_the_environment(redis_server: RedisServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_REDIS_URL", redis_server.url)
    store = RedisStore(RedisOptions.model_validate({"url": {"env": "TEST_REDIS_URL"}}))
    await store.open()
    try:
        await store.probe()
    finally:
        await store.close()


async def test_unreachable_redis_is_named_with_the_fix() -> None:
    store = RedisStore(RedisOptions(url=f"redis://127.0.0.1:{free_port()}/0", connect_timeout=2))
    with pytest.raises(RedisUnreachable) as info:
        await store.open()
    message = str(info.value)
    assert "cannot reach Redis at redis://127.0.0.1:" in message and "[store] url" in message
