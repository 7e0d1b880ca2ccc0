"""The store conformance suite on the built-in stores (memory, sqlite)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from agenthost.store import Store
from agenthost.store.memory import MemoryStore
from agenthost.store.sqlite import SqliteOptions, SqliteStore
from agenthost.testing.store_suite import StoreSuite


class TestMemoryStore(StoreSuite):
    @pytest_asyncio.fixture
    async def store(self) -> AsyncIterator[Store]:
        store = MemoryStore()
        await store.open()
        yield store
        await store.close()


class TestSqliteStore(StoreSuite):
    @pytest_asyncio.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[Store]:
        store = SqliteStore(SqliteOptions(path=str(tmp_path / "suite.db")))
        await store.open()
        yield store
        await store.close()
