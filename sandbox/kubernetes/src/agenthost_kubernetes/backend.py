"""``KubernetesBackend``: one hardened pod per executor, the executor on the pod's exec stream.

``spawn`` creates the pod (``podspec.pod_manifest``), watches it until its container runs —
failing early, with the cause named, on ImagePullBackOff and the like, and at
``start_timeout`` with the last cause seen (Unschedulable, ...) — then execs the executor in
it and hands core the exec stream's channels (``channel.ExecChannel``). ``kill`` closes the
stream and deletes the pod with a grace period of 0. Core's warm pool, timeouts, caps and
restarts work unchanged on top.

Every API call is blocking (the official client), so each runs in the backend's own thread
pool; the event loop only sees the exec stream's readers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any, ClassVar, TypeVar

from kubernetes.client.exceptions import ApiException
from kubernetes.config import ConfigException
from kubernetes.utils.retry import is_retry_after_response, retry_after_seconds

from agenthost.sandbox.backend import ExecutorProcess, SandboxBackend, SandboxSpec
from agenthost.sandbox.errors import SandboxStartError

from .channel import ExecChannel
from .kubeapi import MAX_RETRY_WAIT, KubeApi, load_configuration
from .options import KubernetesOptions
from .owner import HostIdentity
from .podspec import (
    ANNOTATION_OWNER_PID,
    CONTAINER,
    LABEL_HOST,
    LABEL_INSTANCE,
    LABEL_SANDBOX,
    NETWORK_POLICY,
    denies_all,
    exec_command,
    network_policy_manifest,
    pod_manifest,
)
from .podstate import pod_state, quota_or_forbidden

log = logging.getLogger("agenthost.kubernetes")
T = TypeVar("T")
REQUEST_SLACK = 30.0  # seconds beyond start_timeout for the create and exec calls themselves
_LIVE_INSTANCES: set[str] = set()  # backends of this process that are started and not closed


def describe_api_error(exc: ApiException) -> str:
    cause = quota_or_forbidden(exc.status or 0, str(exc.body or ""))
    return cause or f"HTTP {exc.status} {exc.reason}".strip()


class KubernetesBackend(SandboxBackend):
    """Sandboxes as hardened pods (see ``KubernetesOptions`` for every limit)."""

    name = "kubernetes"
    Options: ClassVar[type[KubernetesOptions]] = KubernetesOptions
    options: KubernetesOptions

    def __init__(self, options: KubernetesOptions) -> None:
        super().__init__(options)
        self.host = HostIdentity.current()
        self.relaxed = options.relaxations()
        self._threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="agenthost-k8s")
        self._api: KubeApi | None = None
        self._live: set[str] = set()  # pods this backend created and has not deleted
        self._starting: set[Future[Any]] = set()
        self._closing = False

    @classmethod
    def isolation(cls) -> str:
        return (
            "a pod per sandbox: Pod Security 'restricted' (non-root, all capabilities dropped, "
            "no privilege escalation, RuntimeDefault seccomp, read-only root), no service "
            "account token, deny-all NetworkPolicy, requests = limits"
        )

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._threads.submit(fn, *args))

    @property
    def api(self) -> KubeApi:
        if self._api is None:
            raise SandboxStartError("the kubernetes backend is not started")
        return self._api

    # -- start and close ---------------------------------------------------------------------

    def _connect(self) -> KubeApi:
        try:
            return KubeApi(load_configuration(self.options))
        except (ConfigException, OSError) as exc:
            where = self.options.kubeconfig or "the in-cluster service account or ~/.kube/config"
            raise SandboxStartError(f"no Kubernetes configuration from {where}: {exc}") from None

    async def start(self) -> None:
        """Connect, make sure the deny-all NetworkPolicy is there, reap leftover pods."""
        self._api = await self._run(self._connect)
        _LIVE_INSTANCES.add(self.host.instance)
        try:
            await self._run(self._ensure_network_policy)
            reaped = await self._run(self._reap, False)
        except ApiException as exc:
            raise SandboxStartError(
                f"kubernetes namespace {self.options.namespace!r}: {describe_api_error(exc)}"
            ) from None
        if self.relaxed:
            log.warning(
                "kubernetes sandboxes (namespace %s): hardening relaxed by config: %s",
                self.options.namespace,
                "; ".join(self.relaxed),
            )
        if reaped:
            log.warning("reaped %d sandbox pod(s) left by an earlier host", reaped)

    def _ensure_network_policy(self) -> None:
        o = self.options
        if o.network or o.network_policy == "off":
            return
        policy = self.api.read_network_policy(o.namespace, NETWORK_POLICY)
        if policy is None:
            if o.network_policy == "verify":
                raise SandboxStartError(
                    f"NetworkPolicy {o.namespace}/{NETWORK_POLICY} is missing and "
                    "network_policy = 'verify': apply the manifests of `agenthost deploy "
                    "kubernetes`, or set network_policy = 'create'"
                )
            try:
                self.api.create_network_policy(o.namespace, network_policy_manifest(o.namespace))
                log.info("created NetworkPolicy %s/%s", o.namespace, NETWORK_POLICY)
                return
            except ApiException as exc:
                if exc.status != 409:  # 409: another host made it first; check theirs
                    raise
            policy = self.api.read_network_policy(o.namespace, NETWORK_POLICY) or {}
        if not denies_all(policy):
            raise SandboxStartError(
                f"NetworkPolicy {o.namespace}/{NETWORK_POLICY} exists but does not deny all "
                "traffic of sandbox pods; delete it (it is re-created) or restore it"
            )

    async def close(self) -> None:
        """Delete every pod this backend started and any leftovers; stop the thread pool."""
        self._closing = True
        _LIVE_INSTANCES.discard(self.host.instance)
        if self._starting:  # let them finish, so the final reap sees their pods
            await asyncio.to_thread(
                wait_futures, set(self._starting), self.options.start_timeout + REQUEST_SLACK
            )
        if self._api is not None:
            with contextlib.suppress(Exception):
                await self._run(self._reap, True)
        await asyncio.to_thread(self._threads.shutdown, True)
        if self._api is not None:
            self._api.close()

    # -- pods ------------------------------------------------------------------------------

    def _start_pod(self, manifest: dict[str, Any]) -> Any:
        """Create the pod, wait until it runs, exec the executor; the exec ``WSClient``."""
        o = self.options
        name = manifest["metadata"]["name"]
        deadline = time.monotonic() + o.start_timeout
        self._live.add(name)
        try:
            try:
                pod = self.api.create_pod(o.namespace, manifest)
            except ApiException as exc:
                raise SandboxStartError(
                    f"kubernetes could not create sandbox pod {o.namespace}/{name}: "
                    f"{describe_api_error(exc)}"
                ) from None
            self._wait_running(name, pod, deadline)
            try:
                return self.api.exec_stream(o.namespace, name, CONTAINER, exec_command(o))
            except ApiException as exc:
                raise SandboxStartError(
                    f"cannot exec the executor in pod {o.namespace}/{name}: {exc.reason}"
                ) from None
        except BaseException:
            self._delete(name)
            raise

    def _wait_running(self, name: str, pod: dict[str, Any], deadline: float) -> None:
        where = f"sandbox pod {self.options.namespace}/{name}"
        state = pod_state(pod)
        last = state.detail
        version = (pod.get("metadata") or {}).get("resourceVersion") or "0"
        while state.phase != "ready":
            if state.phase == "failed":
                raise SandboxStartError(f"{where} cannot start: {state.detail}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxStartError(
                    f"{where} did not start within {self.options.start_timeout:g} s: {last}"
                )
            try:
                for kind, obj in self.api.watch_pod(
                    self.options.namespace, name, version, max(1, math.ceil(left))
                ):
                    version = obj["metadata"].get("resourceVersion") or version
                    if kind == "DELETED":
                        raise SandboxStartError(f"{where} was deleted while it started")
                    state = pod_state(obj)
                    last = state.detail or last
                    if state.phase != "waiting":
                        break
            except ApiException as exc:
                if exc.status == 410:  # our version is too old to watch from: re-read
                    pod = self.api.read_pod(self.options.namespace, name)
                    version = pod["metadata"].get("resourceVersion") or version
                    state = pod_state(pod)
                elif is_retry_after_response(exc):
                    wait = retry_after_seconds(exc) or 0.0
                    time.sleep(min(wait, MAX_RETRY_WAIT, max(0.0, deadline - time.monotonic())))
                else:
                    raise SandboxStartError(f"{where}: {describe_api_error(exc)}") from None

    def _delete(self, name: str) -> None:
        try:
            self.api.delete_pod(self.options.namespace, name)
        except ApiException as exc:
            log.error("cannot delete sandbox pod %s: %s", name, describe_api_error(exc))
            return
        self._live.discard(name)

    async def spawn(self, spec: SandboxSpec) -> ExecutorProcess:
        """Create a pod, wait until it runs, exec the executor; its channels as streams."""
        if self._closing:
            raise SandboxStartError("the kubernetes backend is closing")
        manifest = pod_manifest(self.options, spec, self.host)
        name = manifest["metadata"]["name"]
        future = self._threads.submit(self._start_pod, manifest)
        self._starting.add(future)
        future.add_done_callback(self._starting.discard)
        limit = self.options.start_timeout + REQUEST_SLACK
        try:
            ws = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), limit)
        except (asyncio.CancelledError, TimeoutError) as exc:
            # Whenever it finishes: nobody will use that pod.
            future.add_done_callback(lambda done: self._discard_started(done, name))
            if isinstance(exc, TimeoutError):
                raise SandboxStartError(
                    f"kubernetes did not start a sandbox pod within {limit:g} s"
                ) from None
            raise
        channel = ExecChannel(ws, asyncio.get_running_loop())
        return KubernetesExecutor(self, name, channel)

    def _discard_started(self, future: Future[Any], name: str) -> None:
        if future.cancelled() or future.exception() is not None:
            return  # _start_pod deleted the pod itself
        with contextlib.suppress(Exception):
            future.result().close()
        with contextlib.suppress(RuntimeError):  # the pool is shut: close() reaps it
            self._threads.submit(self._delete, name)

    # -- reaping -----------------------------------------------------------------------------

    def _reap(self, final: bool) -> int:
        """Delete pods no live sandbox maps to: this backend's (all of them when ``final``),
        and those a gone host of the same identity left. Returns how many."""
        selector = f"{LABEL_SANDBOX}=true,{LABEL_HOST}={self.host.label}"
        doomed = []
        for pod in self.api.list_pods(self.options.namespace, selector):
            meta = pod.get("metadata") or {}
            labels = meta.get("labels") or {}
            name = meta.get("name", "")
            if labels.get(LABEL_INSTANCE) == self.host.instance:
                if final or name not in self._live:
                    doomed.append(name)
            elif self.host.owns_leftover(
                labels, (meta.get("annotations") or {}).get(ANNOTATION_OWNER_PID), _LIVE_INSTANCES
            ):
                doomed.append(name)
        removed = 0
        for name in doomed:
            with contextlib.suppress(ApiException):
                if self.api.delete_pod(self.options.namespace, name):
                    removed += 1
            self._live.discard(name)
        return removed

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "namespace": self.options.namespace,
            "image": self.options.image,
            "runtime_class": self.options.runtime_class or "default",
            "host": self.host.label,
            "relaxed": list(self.relaxed),
        }


class KubernetesExecutor(ExecutorProcess):
    """The executor in one pod: its exec stream's channels as stdin/stdout/stderr."""

    def __init__(self, backend: KubernetesBackend, pod: str, channel: ExecChannel) -> None:
        self.backend = backend
        self.pod = pod
        self.channel = channel
        self.stdin = channel
        self.stdout = channel.stdout
        self.stderr = channel.stderr
        o = backend.options
        self.info = {
            "backend": "kubernetes",
            "pod": pod,
            "namespace": o.namespace,
            "image": o.image,
            "runtime_class": o.runtime_class or "default",
            "protocol": channel.subprotocol,
            "isolation": backend.isolation(),
            "relaxed": list(backend.relaxed),
        }
        self._killed = False

    async def kill(self) -> None:
        if not self._killed:
            self._killed = True
            self.channel.shutdown()
            with contextlib.suppress(Exception):
                await self.backend._run(self.backend._delete, self.pod)
        with contextlib.suppress(Exception):
            await self.wait()

    async def wait(self) -> int | None:
        status = await asyncio.shield(self.channel.ended)
        return -signal.SIGKILL if self._killed else status
