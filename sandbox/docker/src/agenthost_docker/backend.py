"""``DockerBackend``: one hardened, long-lived container per sandbox, the executor on its stdio.

Each sandbox is a container running ``python3 -u -c <executor> /work``: the executor's source
travels in the container's command, so nothing is installed into the image for it and no host
path needs to be visible to the engine. The host attaches to the container's stdin/stdout
before starting it (one socket, no ``docker exec`` per call) and speaks core's framed protocol
over that socket. Containers are created with ``StdinOnce``: if the host process dies, its
attach socket closes, the executor reads EOF and the container stops on its own.

Every docker SDK call is blocking, so each runs in the backend's own small thread pool; the
event loop only ever sees the attach socket, wrapped in asyncio.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any, ClassVar, TypeVar

from agenthost.sandbox.backend import (
    ExecutorProcess,
    SandboxBackend,
    SandboxSpec,
    executor_source,
)
from agenthost.sandbox.errors import SandboxStartError

from .attach import open_attach, own_socket
from .options import DockerOptions
from .owner import LABEL_BACKEND, LABEL_INSTANCE, LABEL_OWNER, LABEL_SANDBOX, Owner
from .process import DockerExecutor

log = logging.getLogger("agenthost.docker")
T = TypeVar("T")

EXECUTOR_FILE = "/agenthost/executor.py"  # what tracebacks call it; never written anywhere
MAX_ARG = 120 * 1024  # Linux caps one argv string at 128 KiB
ORPHAN_GRACE = 60.0  # seconds before another host's stopped container counts as leaked
_LIVE_INSTANCES: set[str] = set()  # backends of this process that are started and not closed


class DockerBackend(SandboxBackend):
    """Sandboxes as hardened Docker containers (see ``DockerOptions`` for every limit)."""

    name = "docker"
    Options: ClassVar[type[DockerOptions]] = DockerOptions
    options: DockerOptions

    def __init__(self, options: DockerOptions) -> None:
        super().__init__(options)
        self.instance = uuid.uuid4().hex[:16]
        self.owner = Owner.current()
        self._threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="agenthost-docker")
        self._client: Any = None
        self._live: set[str] = set()  # container ids this backend created and not removed
        self._creating: set[Future[Any]] = set()  # create+attach+start calls in flight
        self._closing = False
        self._base: dict[str, Any] = {}
        self.relaxed = options.relaxations()

    @classmethod
    def isolation(cls) -> str:
        return (
            "a container per sandbox: no network, all capabilities dropped, no-new-privileges, "
            "read-only root, non-root user, memory/pids/cpu/file-size/open-file limits"
        )

    # -- engine calls, off the event loop --------------------------------------------------------

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._threads.submit(fn, *args))

    @property
    def api(self) -> Any:
        if self._client is None:
            raise SandboxStartError("the docker backend is not started")
        return self._client.api

    def _connect(self) -> Any:
        import docker

        try:
            if self.options.docker_host:
                client = docker.DockerClient(base_url=self.options.docker_host, version="auto")
            else:
                client = docker.from_env(version="auto")
            client.ping()
        except docker.errors.DockerException as exc:
            where = self.options.docker_host or os.environ.get("DOCKER_HOST") or "the local socket"
            raise SandboxStartError(
                f"no Docker engine answers at {where}: {exc}. Start dockerd (or set docker_host "
                "in the [sandboxes] table); sandbox/images/ci-engine.sh does both on Debian"
            ) from None
        return client

    def _prepare(self) -> None:
        import docker

        client = self._client or self._connect()
        image = self.options.image
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            raise SandboxStartError(
                f"the sandbox image {image!r} is not on this engine: build it with "
                f"`agenthost sandbox build-image --tag {image}` (no registry needed) or "
                f"`docker build -t {image} sandbox/images`"
            ) from None
        runtime = self.options.runtime
        if runtime:
            known = client.info().get("Runtimes") or {}
            if runtime not in known:
                raise SandboxStartError(
                    f"runtime {runtime!r} is not configured in this engine "
                    f"(it has: {', '.join(sorted(known)) or 'none'})"
                )
        self._base = self._container_config(client.api)
        self._client = client

    async def start(self) -> None:
        """Connect to the engine, check the image, reap leaked containers, log relaxations."""
        await self._run(self._prepare)
        _LIVE_INSTANCES.add(self.instance)
        if self.relaxed:
            log.warning(
                "docker sandboxes (image %s): hardening relaxed by config: %s",
                self.options.image,
                "; ".join(self.relaxed),
            )
        reaped = await self._run(self._reap, False)
        if reaped:
            log.warning("reaped %d leaked sandbox container(s) of earlier hosts", reaped)

    async def close(self) -> None:
        """Remove every container this backend started and any leaked ones; stop the pool."""
        self._closing = True
        _LIVE_INSTANCES.discard(self.instance)
        if self._creating:  # let them finish, so the final reap sees their containers
            await asyncio.to_thread(wait_futures, set(self._creating), self.options.start_timeout)
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._run(self._reap, True)
        await asyncio.to_thread(self._threads.shutdown, True)
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()

    # -- containers --------------------------------------------------------------------------

    def _container_config(self, api: Any) -> dict[str, Any]:
        """What every container of this profile shares: command, limits and hardening."""
        import docker

        o = self.options
        source = executor_source().decode()
        code = f"__file__ = {EXECUTOR_FILE!r}\n{source}"
        if len(code.encode()) > MAX_ARG:
            raise SandboxStartError(f"the executor ({len(code)} bytes) is too large for argv")
        ulimits = []
        if o.file_size is not None:
            ulimits.append(docker.types.Ulimit(name="fsize", soft=o.file_size, hard=o.file_size))
        if o.open_files is not None:
            ulimits.append(docker.types.Ulimit(name="nofile", soft=o.open_files, hard=o.open_files))
        if o.cpu_time is not None:
            ulimits.append(docker.types.Ulimit(name="cpu", soft=o.cpu_time, hard=o.cpu_time))
        uid_gid = o.user.split(":", 1) if o.user and o.user[0].isdigit() else None
        owner = f",uid={uid_gid[0]},gid={uid_gid[-1]}" if uid_gid else ""
        host_config = api.create_host_config(
            network_mode=o.network_mode if o.network else "none",
            cap_drop=["ALL"] if o.drop_capabilities else None,
            cap_add=o.cap_add or None,
            security_opt=["no-new-privileges"] if o.no_new_privileges else None,
            read_only=o.read_only,
            tmpfs={
                o.workdir: f"rw,nosuid,nodev,size={o.workdir_size},mode=0700{owner}",
                "/tmp": f"rw,nosuid,nodev,noexec,size={o.tmp_size},mode=1777",
            },
            mem_limit=o.memory,
            memswap_limit=(o.memory_swap or o.memory) if o.memory is not None else None,
            nano_cpus=int(o.cpus * 1e9) if o.cpus is not None else None,
            pids_limit=o.pids,
            ulimits=ulimits or None,
            init=o.init,
            runtime=o.runtime,
        )
        return {
            "image": o.image,
            "command": [o.python, "-u", "-c", code, o.workdir],
            "user": o.user or None,
            "working_dir": o.workdir,
            "environment": dict(o.env),
            "hostname": "sandbox",
            "stdin_open": True,  # with detach=False this also sets StdinOnce: EOF when we go
            "tty": False,
            "host_config": host_config,
        }

    def _labels(self, spec: SandboxSpec) -> dict[str, str]:
        return {
            **spec.labels,
            LABEL_BACKEND: "docker",
            LABEL_SANDBOX: spec.sandbox_id,
            LABEL_INSTANCE: self.instance,
            LABEL_OWNER: str(self.owner),
        }

    def _create(self, spec: SandboxSpec) -> tuple[str, socket.socket]:
        api = self.api
        name = "agenthost-" + re.sub(r"[^a-zA-Z0-9_.-]", "-", spec.sandbox_id)
        cid = api.create_container(name=name, labels=self._labels(spec), **self._base)["Id"]
        self._live.add(cid)
        try:
            # Attach before start: nothing the executor prints can be missed.
            attached = api.attach_socket(
                cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
            )
            sock = own_socket(attached)
            try:
                api.start(cid)
            except BaseException:
                sock.close()
                raise
        except BaseException:
            self._remove(cid)
            raise
        return cid, sock

    def _remove(self, cid: str) -> None:
        import docker

        try:
            self.api.remove_container(cid, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if "already in progress" not in str(exc):
                raise
        self._live.discard(cid)

    async def spawn(self, spec: SandboxSpec) -> ExecutorProcess:
        """Create, attach and start a container; its executor's stdio as asyncio streams."""
        import docker

        if self._closing:
            raise SandboxStartError("the docker backend is closing")
        future = self._threads.submit(self._create, spec)
        self._creating.add(future)
        future.add_done_callback(self._creating.discard)
        try:
            cid, sock = await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(future)), self.options.start_timeout
            )
        except docker.errors.DockerException as exc:
            raise SandboxStartError(f"docker could not start a sandbox: {exc}") from None
        except (asyncio.CancelledError, TimeoutError) as exc:
            future.add_done_callback(self._discard_created)  # whenever it finishes
            if isinstance(exc, TimeoutError):
                raise SandboxStartError(
                    f"docker did not start a sandbox within {self.options.start_timeout:g} s"
                ) from None
            raise
        try:
            protocol, stdin = await open_attach(sock)
        except BaseException:
            sock.close()
            await self._run(self._remove, cid)
            raise
        return DockerExecutor(self, cid, protocol, stdin)

    def _discard_created(self, future: Any) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        cid, sock = future.result()
        sock.close()
        with contextlib.suppress(Exception):
            self._threads.submit(self._remove, cid)

    def _exit(self, cid: str) -> tuple[int | None, bool]:
        """The exit status of a container whose output ended, and whether it was OOM-killed."""
        import docker

        try:
            status = self.api.wait(cid, timeout=10).get("StatusCode")
            state = self.api.inspect_container(cid).get("State") or {}
        except (docker.errors.DockerException, OSError):
            return None, False
        return status, bool(state.get("OOMKilled"))

    # -- reaping -----------------------------------------------------------------------------

    def _reap(self, final: bool) -> int:
        """Remove containers no live sandbox maps to: this backend's (all of them when
        ``final``), and those of hosts that are gone. Returns how many were removed."""
        now = time.time()
        doomed = []
        for c in self.api.containers(all=True, filters={"label": f"{LABEL_BACKEND}=docker"}):
            labels = c.get("Labels") or {}
            instance = labels.get(LABEL_INSTANCE)
            if instance == self.instance:
                if final or c["Id"] not in self._live:
                    doomed.append(c["Id"])
                continue
            owner = Owner.parse(labels.get(LABEL_OWNER, ""))
            if owner is not None and owner.host == self.owner.host:
                # Ours: a closed backend of this process. Another process's: if it is gone.
                gone = instance not in _LIVE_INSTANCES if owner == self.owner else not owner.alive()
            else:
                # Another machine's host: its containers stop when it dies (StdinOnce), so
                # only long-stopped ones are leaks.
                stopped = c.get("State") in ("created", "exited", "dead")
                gone = stopped and now - float(c.get("Created") or now) > ORPHAN_GRACE
            if gone:
                doomed.append(c["Id"])
        removed = 0
        for cid in doomed:
            with contextlib.suppress(Exception):
                self._remove(cid)
                removed += 1
        return removed

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "image": self.options.image,
            "runtime": self.options.runtime or "default",
            "relaxed": list(self.relaxed),
        }
