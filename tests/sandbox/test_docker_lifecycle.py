"""Docker sandboxes' lifecycle against the real engine: hardening as configured, relaxations
logged, warm pool, no leaks (create/close cycles, shutdown, a host killed outright), reaping."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import uuid
from typing import Any

import docker
import pytest

from agenthost.errors import ConfigError
from agenthost.plugins import Plugins
from agenthost.sandbox.backend import SandboxSpec
from agenthost.sandbox.errors import SandboxStartError
from agenthost.sandbox.manager import SandboxManager
from agenthost_docker import DEFAULT_IMAGE, DockerBackend, DockerOptions
from agenthost_docker.owner import LABEL_BACKEND, LABEL_INSTANCE, LABEL_OWNER, Owner

pytestmark = pytest.mark.docker


def labelled(engine: Any, label: str) -> list[Any]:
    return list(engine.containers.list(all=True, filters={"label": label}))


def profile_name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


async def test_hardening_flags_are_what_the_engine_runs(engine: Any) -> None:
    backend = DockerBackend(DockerOptions(memory="256m", pids=64, cpus=0.5, file_size="10m"))
    await backend.start()
    try:
        process = await backend.spawn(SandboxSpec("sbx_flags", "flags", backend.options))
        attrs = engine.api.inspect_container(process.info["container"])
        host, config = attrs["HostConfig"], attrs["Config"]
        assert host["NetworkMode"] == "none"
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
        assert host["SecurityOpt"] == ["no-new-privileges"]
        assert host["ReadonlyRootfs"] is True
        assert host["Init"] is True
        assert host["PidsLimit"] == 64
        assert host["Memory"] == host["MemorySwap"] == 256 << 20
        assert host["NanoCpus"] == 500_000_000
        ulimits = {u["Name"]: (u["Soft"], u["Hard"]) for u in host["Ulimits"]}
        assert ulimits == {"fsize": (10 << 20,) * 2, "nofile": (256, 256)}
        assert set(host["Tmpfs"]) == {"/work", "/tmp"} and "noexec" in host["Tmpfs"]["/tmp"]
        assert config["User"] == "65532:65532"
        assert config["OpenStdin"] and config["StdinOnce"] and not config["Tty"]
        assert config["Labels"][LABEL_BACKEND] == "docker"
        assert config["Labels"]["agenthost.sandbox"] == "sbx_flags"
        await process.kill()
    finally:
        await backend.close()


async def test_relaxations_are_logged_and_described(
    engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    options = DockerOptions(network=True, user="0", read_only=False, pids=None)
    backend = DockerBackend(options)
    with caplog.at_level(logging.WARNING, logger="agenthost.docker"):
        await backend.start()
    try:
        logged = " ".join(r.getMessage() for r in caplog.records if "relaxed" in r.getMessage())
        for words in ("network on", "runs as root", "root filesystem writable", "no pids limit"):
            assert words in logged
            assert any(item.startswith(words) for item in backend.describe()["relaxed"])
        assert DockerBackend(DockerOptions()).describe()["relaxed"] == []
    finally:
        await backend.close()


async def test_runtime_is_passed_through(engine: Any) -> None:
    backend = DockerBackend(DockerOptions(runtime="runc"))
    await backend.start()
    try:
        process = await backend.spawn(SandboxSpec("sbx_runtime", "runtime", backend.options))
        assert engine.api.inspect_container(process.info["container"])["HostConfig"]["Runtime"] == (
            "runc"
        )
        await process.kill()
    finally:
        await backend.close()
    missing = DockerBackend(DockerOptions(runtime="runsc"))
    with pytest.raises(SandboxStartError, match=r"runtime 'runsc' is not configured.*runc"):
        await missing.start()
    await missing.close()


async def test_missing_image_says_how_to_build_it(engine: Any) -> None:
    backend = DockerBackend(DockerOptions(image="agenthost-sandbox:no-such-tag"))
    with pytest.raises(SandboxStartError, match="agenthost sandbox build-image --tag"):
        await backend.start()
    await backend.close()


def test_bad_options_are_config_errors() -> None:
    manager = SandboxManager(
        {"bad": {"backend": "docker", "imagee": DEFAULT_IMAGE}}, Plugins(load_entry_points=True)
    )
    with pytest.raises(ConfigError, match="imagee"):
        manager._profile("bad")
    with pytest.raises(ValueError, match="memory_swap"):
        DockerOptions(memory="512m", memory_swap="256m")


async def test_spawning_never_blocks_the_event_loop(engine: Any) -> None:
    backend = DockerBackend(DockerOptions())
    await backend.start()
    ticks = 0
    try:
        spawn = asyncio.create_task(backend.spawn(SandboxSpec("sbx_loop", "loop", backend.options)))
        while not spawn.done():
            ticks += 1
            await asyncio.sleep(0.001)
        process = spawn.result()
        await process.kill()
    finally:
        await backend.close()
    # A blocking spawn would let this loop run once; creating a container takes many ticks.
    assert ticks > 10


async def test_warm_pool_is_filled_and_refilled(engine: Any) -> None:
    name = profile_name()
    manager = SandboxManager({name: {"backend": "docker", "pool": 2}}, Plugins())
    try:
        await manager.start([name])
        assert len(labelled(engine, f"agenthost.profile={name}")) == 2
        sandbox = await manager.create(name)
        assert (await sandbox.run_python("1 + 1")).value == "2"
        await manager._profiles[name].refill  # the refill that create() scheduled
        assert manager.describe()[name]["warm"] == 2
        assert len(labelled(engine, f"agenthost.profile={name}")) == 3
    finally:
        await manager.close()
    assert labelled(engine, f"agenthost.profile={name}") == []


async def test_200_create_close_cycles_leave_no_container(engine: Any) -> None:
    name = profile_name()
    manager = SandboxManager({name: {"backend": "docker", "pool": 0}}, Plugins())
    lanes = 8  # the engine serialises much of create/start; more lanes only queue there

    async def lane(count: int) -> None:
        for _ in range(count):
            sandbox = await manager.create(name)
            await sandbox.close()

    try:
        await asyncio.gather(*(lane(200 // lanes) for _ in range(lanes)))
        assert labelled(engine, f"agenthost.profile={name}") == []
        assert manager.describe()[name]["live"] == 0
    finally:
        await manager.close()


async def test_shutdown_leaves_nothing_behind(engine: Any) -> None:
    name = profile_name()
    manager = SandboxManager({name: {"backend": "docker", "pool": 2}}, Plugins())
    await manager.start([name])
    for session in ("a", "b", "c"):
        sandbox = await manager.for_session(name, session)
        await sandbox.run_python("x = 1")
    assert len(labelled(engine, f"agenthost.profile={name}")) >= 3
    await manager.close()
    assert labelled(engine, f"agenthost.profile={name}") == []


def _orphan(engine: Any, owner: str, marker: str) -> str:
    container = engine.containers.run(
        DEFAULT_IMAGE,
        ["python3", "-c", "import time; time.sleep(600)"],
        detach=True,
        network_mode="none",
        labels={
            LABEL_BACKEND: "docker",
            LABEL_OWNER: owner,
            LABEL_INSTANCE: "elsewhere",
            "test.marker": marker,
        },
    )
    return str(container.id)


async def test_startup_reaps_orphans_of_dead_hosts_only(engine: Any) -> None:
    marker = uuid.uuid4().hex
    me = Owner.current()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    dead_owner = Owner(me.host, int(gone.stdout), "1")  # that process has exited
    live_owner = Owner.of(os.getppid())  # another process of this machine, alive
    foreign = Owner("another-machine", 1234, "5")
    dead = _orphan(engine, str(dead_owner), marker)
    alive = _orphan(engine, str(live_owner), marker)
    elsewhere = _orphan(engine, str(foreign), marker)
    backend = DockerBackend(DockerOptions())
    try:
        await backend.start()
        left = {c.id for c in labelled(engine, f"test.marker={marker}")}
        assert dead not in left
        assert {alive, elsewhere} <= left
    finally:
        await backend.close()
        for cid in (alive, elsewhere):
            engine.api.remove_container(cid, force=True)


HOST_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, signal
    from agenthost.sandbox.backend import SandboxSpec
    from agenthost.sandbox.protocol import Connection
    from agenthost_docker import DockerBackend, DockerOptions

    async def main():
        backend = DockerBackend(DockerOptions())
        await backend.start()
        process = await backend.spawn(SandboxSpec("sbx_killed", "killed", backend.options))
        await Connection(process, max_frame=1 << 20).handshake()
        print(process.container_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # no shutdown, no cleanup: a crash

    asyncio.run(main())
    """
)


async def test_a_killed_host_leaves_only_a_stopped_container_that_is_reaped(engine: Any) -> None:
    host = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOST_SCRIPT, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await host.communicate()
    assert host.returncode == -9
    cid = out.decode().strip()
    # Its attach socket closed with it: the executor read EOF and the container stopped.
    try:
        status = await asyncio.to_thread(engine.api.wait, cid, timeout=30)
    except docker.errors.NotFound:
        status = None  # another host on this machine starting up reaped it first: fine too
    if status is not None:
        assert status["StatusCode"] == 0
    backend = DockerBackend(DockerOptions())
    try:
        await backend.start()  # same machine, owner gone: reaped
        assert not engine.containers.list(all=True, filters={"id": cid})
    finally:
        await backend.close()
