"""SandboxManager with the local backend: lazy start, warm pools, sessions, cap, idle reaping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from agenthost.plugins import Plugins
from agenthost.sandbox.errors import SandboxCapacityError, SandboxClosed, SandboxError
from agenthost.sandbox.manager import SandboxManager

Make = Callable[..., SandboxManager]


@pytest.fixture
async def make() -> AsyncIterator[Make]:
    managers: list[SandboxManager] = []

    def build(**table: Any) -> SandboxManager:
        manager = SandboxManager({"p": {"backend": "local", **table}}, Plugins())
        managers.append(manager)
        return manager

    yield build
    for manager in managers:
        await manager.close()


async def until(condition: Callable[[], bool]) -> bool:
    for _ in range(1000):
        if condition():
            return True
        await asyncio.sleep(0.01)  # polling a condition, bounded by the loop
    return condition()


async def test_creating_a_manager_starts_nothing(make: Make) -> None:
    manager = make(pool=2)
    assert manager.describe() == {"p": {"backend": "local", "started": False}}


async def test_start_fills_the_warm_pool_and_sessions_take_from_it(make: Make) -> None:
    manager = make(pool=2)
    await manager.start(["p"])
    assert manager.describe()["p"]["warm"] == 2
    sandbox = await manager.for_session("p", "s1")
    assert (await sandbox.run_python("1 + 1")).value == "2"
    # The pool refills behind the session's back.
    assert await until(lambda: manager.describe()["p"]["warm"] == 2)
    assert manager.describe()["p"]["live"] == 3
    assert manager.describe()["p"]["sessions"] == 1


async def test_a_session_keeps_its_sandbox_and_sessions_are_apart(make: Make) -> None:
    manager = make(pool=0)
    first = await manager.for_session("p", "s1")
    await first.run_python("owner = 's1'")
    again = await manager.for_session("p", "s1")
    assert again is first
    assert (await again.run_python("owner")).value == "'s1'"
    other = await manager.for_session("p", "s2")
    assert other is not first
    result = await other.run_python("owner")
    assert result.error is not None and result.error.type == "NameError"


async def test_concurrent_first_use_of_a_session_makes_one_sandbox(make: Make) -> None:
    manager = make(pool=0)
    sandboxes = await asyncio.gather(*(manager.for_session("p", "same") for _ in range(5)))
    assert all(s is sandboxes[0] for s in sandboxes)
    assert manager.describe()["p"]["live"] == 1


async def test_the_cap_on_live_sandboxes_is_a_clear_error(make: Make) -> None:
    manager = make(pool=0, max_sandboxes=2)
    first = await manager.for_session("p", "a")
    await manager.for_session("p", "b")
    with pytest.raises(SandboxCapacityError) as full:
        await manager.for_session("p", "c")
    assert "max_sandboxes = 2" in str(full.value) and "'p'" in str(full.value)
    await first.close()
    third = await manager.for_session("p", "c")
    assert (await third.run_python("3")).value == "3"


async def test_a_host_wide_cap_spans_profiles() -> None:
    table = {"backend": "local", "pool": 0}
    manager = SandboxManager({"a": table, "b": table}, Plugins(), max_sandboxes=2)
    try:
        await manager.for_session("a", "s1")
        await manager.for_session("b", "s1")
        with pytest.raises(SandboxCapacityError, match="cap of 2 live sandboxes"):
            await manager.for_session("a", "s2")
    finally:
        await manager.close()


async def test_warm_sandboxes_count_against_the_cap(make: Make) -> None:
    manager = make(pool=2, max_sandboxes=2)
    await manager.start(["p"])
    await manager.for_session("p", "a")
    await manager.for_session("p", "b")  # the second warm one
    with pytest.raises(SandboxCapacityError):
        await manager.for_session("p", "c")
    assert manager.describe()["p"]["live"] == 2


async def test_idle_sandboxes_are_reaped(make: Make) -> None:
    manager = make(pool=0, idle_ttl=0.2)
    sandbox = await manager.for_session("p", "s")
    await sandbox.run_python("x = 1")
    assert await until(lambda: sandbox.closed)
    with pytest.raises(SandboxClosed, match=r"reaped after 0\.2 s idle"):
        await sandbox.run_python("x")
    fresh = await manager.for_session("p", "s")
    assert fresh is not sandbox
    assert (await fresh.run_python("'x' in globals()")).value == "False"
    assert manager.describe()["p"]["live"] == 1


async def test_a_busy_sandbox_is_not_reaped(make: Make) -> None:
    manager = make(pool=0, idle_ttl=0.1)
    sandbox = await manager.for_session("p", "s")
    result = await sandbox.run_python("import time\ntime.sleep(0.6)\n'finished'")
    assert result.value == "'finished'"  # reaper passes ran during the call; it survived


async def test_after_close_nothing_is_handed_out(make: Make) -> None:
    manager = make(pool=1)
    await manager.start(["p"])
    sandbox = await manager.for_session("p", "s")
    await manager.close()
    assert sandbox.closed
    with pytest.raises(SandboxClosed):
        await manager.for_session("p", "s")


async def test_unknown_profile_and_backend_are_named(make: Make) -> None:
    manager = make(pool=0)
    with pytest.raises(SandboxError, match="no sandbox profile named 'nope'"):
        await manager.for_session("nope", "s")
    odd = SandboxManager({"x": {"backend": "teleport"}}, Plugins())
    with pytest.raises(Exception, match="no sandbox backend named 'teleport'"):
        await odd.for_session("x", "s")
    await odd.close()


async def test_a_timeout_restart_keeps_the_counts_right(make: Make) -> None:
    manager = make(pool=1)
    await manager.start(["p"])
    sandbox = await manager.for_session("p", "s")
    assert await until(lambda: manager.describe()["p"]["warm"] == 1)
    with pytest.raises(SandboxError):
        await sandbox.run_python("while True:\n    pass", timeout=0.3)
    assert (await sandbox.run_python("40 + 2")).value == "42"
    assert sandbox.restarts == 1
    # live stays at one session + one warm once the pool has refilled.
    assert await until(lambda: manager.describe()["p"]["live"] == 2)


async def test_closing_under_a_call_says_closed(make: Make) -> None:
    manager = make(pool=0)
    sandbox = await manager.for_session("p", "s")
    call = asyncio.create_task(sandbox.run_python("import time\ntime.sleep(60)"))
    assert await until(lambda: sandbox.busy)
    await sandbox.close()
    with pytest.raises(SandboxClosed):
        await call
