"""A fake Kubernetes API server on loopback: a test double, because no cluster can run here.

No kube-apiserver or kubelet binary can be installed on these machines, so the backend's
tests run against this small server instead. It speaks the real REST API for the calls the
backend makes — pods create / get / list (label selectors) / watch (field selector,
resourceVersion, timeoutSeconds, 410 Gone) / delete, networkpolicies get / create, and the
exec subresource as a websocket with the ``v5.channel.k8s.io`` / ``v4.channel.k8s.io``
channel protocol — so the official client library, its HTTP and its websocket code all run
for real. Requests need the bearer token of the kubeconfig it writes.

Its "kubelet" is an emulation: a pod goes Pending → scheduled → ContainerCreating → Running
(or Unschedulable when its nodeSelector matches no node label, ImagePullBackOff when its image
starts with ``missing/``), and an exec runs the requested command locally under bubblewrap
(core's ``LocalBackend.bwrap_argv``) with the pod's environment and emptyDir mounts, as the
pod's ``runAsUser``, with ``limits.memory`` as an address-space limit, and without a network
when a deny-all NetworkPolicy selects the pod. None of that is Kubernetes' own enforcement:
the real-cluster suite (docs/kubernetes.md) is what checks that.

Errors to inject: ``fault(method, path_regex, status, headers=..., times=...)``;
``gone_watches = N`` makes the next N watches fail with 410 Gone; ``quota`` caps live pods.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from agenthost.sandbox.bwrap import seccomp_fd
from agenthost.sandbox.local import LocalBackend, LocalOptions
from agenthost.sandbox.options import parse_size

TOKEN = "fake-token-for-tests"
NODE_LABELS = {"kubernetes.io/os": "linux", "kubernetes.io/hostname": "fake-node"}
PODS = "/api/v1/namespaces/{ns}/pods"
POLICIES = "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"

# The "image's" interpreter: the host's base Python, not the venv's link to it. The executor
# is stdlib-only, and a checkout (its .venv) under /tmp would be hidden by the pod's /tmp
# emptyDir mount inside the sandbox.
IMAGE_PYTHON = os.path.realpath(sys.executable)


def status(code: int, reason: str, message: str) -> JSONResponse:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}}
    body.update(status="Failure", message=message, reason=reason, code=code)
    return JSONResponse(body, status_code=code)


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    code: int
    headers: dict[str, str]
    times: int
    then: Callable[[], None] | None = None


@dataclass
class Call:
    """One request, as RBAC sees it: verb, resource, subresource, namespace."""

    verb: str
    resource: str
    subresource: str = ""
    namespace: str = ""
    at: float = 0.0
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class _Exec:
    proc: asyncio.subprocess.Process


@dataclass
class FakeState:
    pods: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    policies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    events: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    execs: dict[tuple[str, str], list[_Exec]] = field(default_factory=dict)
    version: int = 100


class FakeApiServer:
    """The double itself: ``start()``, ``kubeconfig(path)``, inspection and fault injection."""

    def __init__(
        self, exec_protocols: tuple[str, ...] = ("v5.channel.k8s.io", "v4.channel.k8s.io")
    ) -> None:
        self.state = FakeState()
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.quota: int | None = None
        self.gone_watches = 0  # this many next watches answer 410 Gone
        self.exec_protocols = exec_protocols
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Condition | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)  # clients may connect before uvicorn runs: the backlog holds them
        self.port = self._sock.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._locals: dict[bool, LocalBackend] = {}  # by "has network"

    # -- running -----------------------------------------------------------------------------

    def start(self) -> None:
        app = Starlette(
            routes=[
                Route(PODS, self.pods, methods=["GET", "POST"]),
                Route(PODS + "/{name}", self.pod, methods=["GET", "DELETE"]),
                WebSocketRoute(PODS + "/{name}/exec", self.exec),
                Route(POLICIES, self.create_policy, methods=["POST"]),
                Route(POLICIES + "/{name}", self.policy, methods=["GET"]),
            ],
            middleware=[Middleware(BaseHTTPMiddleware, dispatch=self._gate)],
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="websockets-sansio")
        self._server = uvicorn.Server(config)
        server = self._server
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[self._sock]), name="fake-apiserver", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._sock.close()

    def kubeconfig(self, path: Path) -> Path:
        """Write a kubeconfig (JSON is YAML) pointing at this server, with its token."""
        cfg = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {"server": f"http://127.0.0.1:{self.port}"}}],
            "users": [{"name": "tester", "user": {"token": TOKEN}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "tester"}}],
            "current-context": "fake",
        }
        path.write_text(json.dumps(cfg))
        return path

    # -- for tests -----------------------------------------------------------------------------

    def fault(
        self,
        method: str,
        path: str,
        code: int,
        *,
        headers: dict[str, str] | None = None,
        times: int = 1,
        then: Callable[[], None] | None = None,
    ) -> None:
        self.faults.append(Fault(method, re.compile(path), code, headers or {}, times, then))

    def live_pods(self, namespace: str) -> list[dict[str, Any]]:
        return [p for (ns, _), p in self.state.pods.items() if ns == namespace]

    def reset(self) -> None:
        self.calls.clear()
        self.faults.clear()
        self.quota = None
        self.gone_watches = 0

    # -- plumbing ------------------------------------------------------------------------------

    async def _gate(self, request: Request, call_next: Any) -> Response:
        self._record(request.method, request.url.path, dict(request.query_params))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return status(401, "Unauthorized", "no valid bearer token")
        for fault in self.faults:
            if (
                fault.times > 0
                and fault.method == request.method
                and fault.path.search(request.url.path)
            ):
                fault.times -= 1
                if fault.then is not None:
                    fault.then()
                refused = status(fault.code, "Injected", f"injected {fault.code}")
                refused.headers.update(fault.headers)
                return refused
        response: Response = await call_next(request)
        return response

    def _record(self, method: str, path: str, query: dict[str, str]) -> None:
        parts = path.strip("/").split("/")
        namespace = parts[parts.index("namespaces") + 1] if "namespaces" in parts else ""
        tail = parts[parts.index("namespaces") + 2 :] if "namespaces" in parts else []
        resource = tail[0] if tail else ""
        sub = tail[2] if len(tail) > 2 else ""
        if method == "GET" and len(tail) == 1:
            verb = "watch" if query.get("watch") in ("true", "1") else "list"
        else:
            verb = {"GET": "get", "POST": "create", "DELETE": "delete"}.get(method, method)
        if sub == "exec":
            verb = "create"  # what newer API servers authorise a websocket exec as
        loop_time = asyncio.get_running_loop().time()
        self.calls.append(Call(verb, resource, sub, namespace, loop_time, query))

    def _bump(self, kind: str, ns: str, pod: dict[str, Any]) -> None:
        self.state.version += 1
        pod["metadata"]["resourceVersion"] = str(self.state.version)
        self.state.events.append((self.state.version, kind, ns, json.loads(json.dumps(pod))))
        assert self._changed is not None
        changed = self._changed

        async def notify() -> None:
            async with changed:
                changed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    def _ensure_loop(self) -> None:
        if self._changed is None:
            self._loop = asyncio.get_running_loop()
            self._changed = asyncio.Condition()

    # -- pods ----------------------------------------------------------------------------------

    async def pods(self, request: Request) -> Response:
        self._ensure_loop()
        ns = request.path_params["ns"]
        if request.method == "POST":
            return await self._create_pod(ns, await request.json())
        query = request.query_params
        if query.get("watch") in ("true", "1"):
            return self._watch(ns, query)
        wanted = dict(
            item.split("=", 1) for item in (query.get("labelSelector") or "").split(",") if item
        )
        items = [
            p
            for p in self.live_pods(ns)
            if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())
        ]
        return JSONResponse(
            {
                "kind": "PodList",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(self.state.version)},
                "items": items,
            }
        )

    async def _create_pod(self, ns: str, body: dict[str, Any]) -> Response:
        name = body["metadata"]["name"]
        if (ns, name) in self.state.pods:
            return status(409, "AlreadyExists", f'pods "{name}" already exists')
        if self.quota is not None and len(self.live_pods(ns)) >= self.quota:
            used = len(self.live_pods(ns))
            return status(
                403,
                "Forbidden",
                f'pods "{name}" is forbidden: exceeded quota: sandboxes, requested: pods=1, '
                f"used: pods={used}, limited: pods={self.quota}",
            )
        body["metadata"].update(namespace=ns, uid=str(uuid.uuid4()))
        body["status"] = {"phase": "Pending"}
        self.state.pods[(ns, name)] = body
        self._bump("ADDED", ns, body)
        asyncio.get_running_loop().create_task(self._kubelet(ns, name))
        return JSONResponse(body, status_code=201)

    async def _kubelet(self, ns: str, name: str) -> None:
        """Move a new pod through its start, one watch event per step."""
        await asyncio.sleep(0)  # after the create response: the client must watch
        pod = self.state.pods.get((ns, name))
        if pod is None:
            return
        selector = pod["spec"].get("nodeSelector") or {}
        if any(NODE_LABELS.get(k) != v for k, v in selector.items()):
            pod["status"]["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": "0/1 nodes are available: 1 node(s) didn't match Pod's "
                    "node affinity/selector.",
                }
            ]
            self._bump("MODIFIED", ns, pod)
            return
        container = pod["spec"]["containers"][0]
        pod["status"]["conditions"] = [{"type": "PodScheduled", "status": "True"}]
        waiting = {"waiting": {"reason": "ContainerCreating"}}
        pod["status"]["containerStatuses"] = [self._cstatus(container, waiting)]
        self._bump("MODIFIED", ns, pod)
        await asyncio.sleep(0)
        if container["image"].startswith("missing/"):
            for reason in ("ErrImagePull", "ImagePullBackOff"):
                message = f'Back-off pulling image "{container["image"]}": not found'
                state = {"waiting": {"reason": reason, "message": message}}
                pod["status"]["containerStatuses"] = [self._cstatus(container, state)]
                self._bump("MODIFIED", ns, pod)
                await asyncio.sleep(0)
            return
        pod["status"]["phase"] = "Running"
        running = {"running": {"startedAt": "2025-01-01T00:00:00Z"}}
        pod["status"]["containerStatuses"] = [self._cstatus(container, running, ready=True)]
        self._bump("MODIFIED", ns, pod)

    @staticmethod
    def _cstatus(container: dict[str, Any], state: dict[str, Any], ready: bool = False) -> Any:
        return {
            "name": container["name"],
            "image": container["image"],
            "imageID": "",
            "ready": ready,
            "restartCount": 0,
            "state": state,
        }

    async def pod(self, request: Request) -> Response:
        self._ensure_loop()
        ns, name = request.path_params["ns"], request.path_params["name"]
        pod = self.state.pods.get((ns, name))
        if pod is None:
            return status(404, "NotFound", f'pods "{name}" not found')
        if request.method == "DELETE":
            del self.state.pods[(ns, name)]
            for running in self.state.execs.pop((ns, name), []):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(running.proc.pid, signal.SIGKILL)
            self._bump("DELETED", ns, pod)
        return JSONResponse(pod)

    def _watch(self, ns: str, query: Any) -> Response:
        since = int(query.get("resourceVersion") or 0)
        timeout = float(query.get("timeoutSeconds") or 30)
        name = (query.get("fieldSelector") or "").removeprefix("metadata.name=")
        assert self._changed is not None
        changed = self._changed

        gone_now = self.gone_watches > 0
        self.gone_watches -= int(gone_now)

        async def events() -> Any:
            if gone_now:
                gone = {"kind": "Status", "code": 410, "reason": "Expired"}
                gone["message"] = f"too old resource version: {since}"
                yield json.dumps({"type": "ERROR", "object": gone}) + "\n"
                return
            seen = since
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                for version, kind, where, obj in self.state.events:
                    if version > seen and where == ns and obj["metadata"]["name"] == name:
                        yield json.dumps({"type": kind, "object": obj}) + "\n"
                seen = self.state.version
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    return
                async with changed:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), left)

        return StreamingResponse(events(), media_type="application/json")

    # -- network policies ------------------------------------------------------------------------

    async def create_policy(self, request: Request) -> Response:
        ns = request.path_params["ns"]
        body = await request.json()
        name = body["metadata"]["name"]
        if (ns, name) in self.state.policies:
            return status(409, "AlreadyExists", f'networkpolicies "{name}" already exists')
        body["metadata"].update(namespace=ns, uid=str(uuid.uuid4()), resourceVersion="1")
        self.state.policies[(ns, name)] = body
        return JSONResponse(body, status_code=201)

    async def policy(self, request: Request) -> Response:
        ns, name = request.path_params["ns"], request.path_params["name"]
        found = self.state.policies.get((ns, name))
        if found is None:
            return status(404, "NotFound", f'networkpolicies "{name}" not found')
        return JSONResponse(found)

    def _isolated(self, ns: str, pod: dict[str, Any]) -> bool:
        """The emulated CNI: a policy with no egress rules that selects the pod cuts it off."""
        labels = pod["metadata"].get("labels") or {}
        for (where, _), policy in self.state.policies.items():
            spec = policy["spec"]
            match = (spec.get("podSelector") or {}).get("matchLabels") or {}
            closed = "Egress" in spec.get("policyTypes", []) and not spec.get("egress")
            if where == ns and closed and all(labels.get(k) == v for k, v in match.items()):
                return True
        return False

    # -- exec ------------------------------------------------------------------------------------

    async def exec(self, ws: WebSocket) -> None:
        self._record("GET", ws.url.path, {})
        ns, name = ws.path_params["ns"], ws.path_params["name"]
        pod = self.state.pods.get((ns, name))
        offered = ws.scope.get("subprotocols") or []
        protocol = next((p for p in self.exec_protocols if p in offered), None)
        if ws.headers.get("authorization") != f"Bearer {TOKEN}" or protocol is None:
            await ws.close(code=1008)
            return
        if pod is None or pod["status"].get("phase") != "Running":
            await ws.close(code=1008)
            return
        await ws.accept(subprotocol=protocol)
        command = ws.query_params.getlist("command")
        proc = await self._start_in_pod(ns, pod, command)
        running = _Exec(proc)
        self.state.execs.setdefault((ns, name), []).append(running)
        await self._pump(ws, proc, protocol)

    async def _start_in_pod(
        self, ns: str, pod: dict[str, Any], command: list[str]
    ) -> asyncio.subprocess.Process:
        container = pod["spec"]["containers"][0]
        limits = (container.get("resources") or {}).get("limits") or {}
        env = {e["name"]: e["value"] for e in container.get("env") or []}
        network = not self._isolated(ns, pod)
        local = self._locals.get(network)
        if local is None:
            options = LocalOptions(python=IMAGE_PYTHON, network=network)
            local = self._locals[network] = LocalBackend(options)
            await local.start()  # finds the interpreter's paths for the read-only binds
        memory = limits.get("memory")
        rlimits = [env.get("AGENTHOST_RLIMITS", "")]
        if memory:
            rlimits.append(f"as={parse_size(memory.removesuffix('i'))}")  # cgroup, emulated
        env["AGENTHOST_RLIMITS"] = ",".join(r for r in rlimits if r)
        env["AGENTHOST_DROP_UID"] = str(pod["spec"]["securityContext"]["runAsUser"])
        env["PATH"] = f"{os.path.dirname(IMAGE_PYTHON)}:/usr/bin:/bin"
        if command and command[0] == container["command"][0]:
            command = [IMAGE_PYTHON, *command[1:]]  # the "image's" python is the host's
        mounts: list[str] = []
        volumes = {v["name"]: v for v in pod["spec"].get("volumes") or []}
        for mount in container.get("volumeMounts") or []:
            size = (volumes[mount["name"]].get("emptyDir") or {}).get("sizeLimit") or "64m"
            size_bytes = str(parse_size(size))
            mounts += ["--perms", "1777", "--size", size_bytes, "--tmpfs", mount["mountPath"]]
        with seccomp_fd() as fd:
            argv = local.bwrap_argv(command, fd)
            argv[argv.index("--chdir") + 1] = container["workingDir"]
            split = argv.index("--")
            argv = [*argv[:split], *mounts, *argv[split:]]
            return await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                cwd="/",
                start_new_session=True,
                pass_fds=() if fd is None else (fd,),
            )

    async def _pump(self, ws: WebSocket, proc: asyncio.subprocess.Process, protocol: str) -> None:
        assert proc.stdin and proc.stdout and proc.stderr

        async def out(stream: asyncio.StreamReader, channel: int) -> None:
            while chunk := await stream.read(65536):
                await ws.send_bytes(bytes([channel]) + chunk)

        async def into() -> None:
            assert proc.stdin
            try:
                while True:
                    message = await ws.receive_bytes()
                    if message[:1] == b"\x00":
                        proc.stdin.write(message[1:])
                        await proc.stdin.drain()
                    elif message[:2] == b"\xff\x00" and protocol.startswith("v5"):
                        proc.stdin.close()
            except (WebSocketDisconnect, ConnectionError, RuntimeError):
                pass
            finally:  # the client went away: the process's stdin ends, as with a real runtime
                with contextlib.suppress(Exception):
                    proc.stdin.close()

        reader = asyncio.create_task(into())
        try:
            await asyncio.gather(out(proc.stdout, 1), out(proc.stderr, 2))
            code = await proc.wait()
            if code < 0:
                code = 128 - code  # as container runtimes report a signal
            result: dict[str, Any] = {"metadata": {}, "status": "Success"}
            if code:
                result = {
                    "metadata": {},
                    "status": "Failure",
                    "message": f"command terminated with non-zero exit code: {code}",
                    "reason": "NonZeroExitCode",
                    "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
                }
            await ws.send_bytes(b"\x03" + json.dumps(result).encode())
            await ws.close()
        except (WebSocketDisconnect, RuntimeError, ConnectionError):
            pass
        finally:
            reader.cancel()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
