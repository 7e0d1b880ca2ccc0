"""The sandbox pod and the deny-all NetworkPolicy, as plain manifests (dicts, camelCase).

A sandbox pod runs a tiny zombie reaper as PID 1; the executor is started in it over the
exec stream (``exec_command``). Its source travels in the pod's environment
(``AGENTHOST_EXECUTOR``), so nothing is installed into the image and the exec URL stays
short; the bootstrap pops it before the executor starts, so sandboxed code never inherits it.
"""

from __future__ import annotations

import random
import re
from typing import Any

from agenthost.sandbox.backend import SandboxSpec, executor_source

from .options import KubernetesOptions
from .owner import HostIdentity, label_value

CONTAINER = "sandbox"
EXECUTOR_FILE = "/agenthost/executor.py"  # what tracebacks call it; never written anywhere
NETWORK_POLICY = "agenthost-sandbox-deny-all"
UID_RANGE = (2_000_000, 2_000_000 + (1 << 24))  # far from real users; random per pod

LABEL_SANDBOX = "agenthost.io/sandbox"
LABEL_PROFILE = "agenthost.io/profile"
LABEL_HOST = "agenthost.io/host"
LABEL_INSTANCE = "agenthost.io/instance"
LABEL_NETWORK = "agenthost.io/network"
ANNOTATION_OWNER_PID = "agenthost.io/owner-pid"

# PID 1 of the pod: the executor's orphans are re-parented here, and a PID 1 that never waits
# would leave them as zombies counting against the process limit.
REAPER = (
    "import os, time\n"
    "while True:\n"
    "    try:\n        os.waitpid(-1, 0)\n"
    "    except ChildProcessError:\n        time.sleep(1)\n"
)
BOOTSTRAP = (
    "import os\n"
    f"__file__ = {EXECUTOR_FILE!r}\n"
    "exec(compile(os.environ.pop('AGENTHOST_EXECUTOR'), __file__, 'exec'))\n"
)


def pod_name(sandbox_id: str) -> str:
    return "agenthost-" + re.sub(r"[^a-z0-9-]", "-", sandbox_id.lower())[:52].strip("-")


def exec_command(options: KubernetesOptions) -> list[str]:
    """What the backend execs in the pod to start the executor."""
    return [options.python, "-u", "-c", BOOTSTRAP, options.workdir]


def _quantities(o: KubernetesOptions) -> dict[str, str]:
    out = {}
    if o.memory is not None:
        out["memory"] = str(o.memory)
    if o.cpus is not None:
        out["cpu"] = f"{max(1, round(o.cpus * 1000))}m"
    storage = o.ephemeral_storage or o.workdir_size + o.tmp_size + 64 * 1024 * 1024
    out["ephemeral-storage"] = str(storage)
    return out


def _rlimits(o: KubernetesOptions) -> str:
    # Per-process limits a pod spec cannot express; the executor sets them on itself. The
    # process count is per uid, so it is per sandbox only when each pod has a uid of its own.
    limits = {"fsize": o.file_size, "nofile": o.open_files, "cpu": o.cpu_time}
    if o.uid is None:
        limits["nproc"] = o.pids
    return ",".join(f"{k}={v}" for k, v in limits.items() if v is not None)


def sandbox_labels(o: KubernetesOptions, spec: SandboxSpec, host: HostIdentity) -> dict[str, str]:
    return {
        **o.labels,
        "app.kubernetes.io/name": "agenthost-sandbox",
        "app.kubernetes.io/managed-by": "agenthost",
        LABEL_SANDBOX: "true",
        LABEL_PROFILE: label_value(spec.profile),
        LABEL_HOST: host.label,
        LABEL_INSTANCE: host.instance,
        LABEL_NETWORK: "open" if o.network else "none",
    }


def pod_manifest(
    o: KubernetesOptions, spec: SandboxSpec, host: HostIdentity, uid: int | None = None
) -> dict[str, Any]:
    """The pod for one sandbox: Pod Security "restricted", requests = limits, no token."""
    if uid is None:
        uid = o.uid if o.uid is not None else random.randrange(*UID_RANGE)
    env = {
        "HOME": o.workdir,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        **o.env,
        "AGENTHOST_RLIMITS": _rlimits(o),
        "AGENTHOST_EXECUTOR": executor_source().decode(),
    }
    metadata: dict[str, Any] = {
        "name": pod_name(spec.sandbox_id),
        "namespace": o.namespace,
        "labels": sandbox_labels(o, spec, host),
        "annotations": {
            **o.annotations,
            **{f"agenthost.io/{k.removeprefix('agenthost.')}": v for k, v in spec.labels.items()},
            "agenthost.io/sandbox-id": spec.sandbox_id,
            ANNOTATION_OWNER_PID: str(host.pid),
        },
    }
    owner = host.owner_reference(o.namespace)
    if owner is not None:
        metadata["ownerReferences"] = [owner]
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "terminationGracePeriodSeconds": 0,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": uid,
            "runAsGroup": uid,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": CONTAINER,
                "image": o.image,
                "imagePullPolicy": o.image_pull_policy,
                "command": [o.python, "-c", REAPER],
                "workingDir": o.workdir,
                "env": [{"name": k, "value": v} for k, v in env.items()],
                "resources": {"requests": _quantities(o), "limits": _quantities(o)},
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "privileged": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "volumeMounts": [
                    {"name": "work", "mountPath": o.workdir},
                    {"name": "tmp", "mountPath": "/tmp"},
                ],
            }
        ],
        "volumes": [
            {"name": "work", "emptyDir": {"sizeLimit": str(o.workdir_size)}},
            {"name": "tmp", "emptyDir": {"sizeLimit": str(o.tmp_size)}},
        ],
    }
    if o.max_pod_age is not None:
        pod_spec["activeDeadlineSeconds"] = o.max_pod_age
    if o.runtime_class:
        pod_spec["runtimeClassName"] = o.runtime_class
    if o.node_selector:
        pod_spec["nodeSelector"] = dict(o.node_selector)
    if o.tolerations:
        pod_spec["tolerations"] = [dict(t) for t in o.tolerations]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec}


def network_policy_manifest(namespace: str) -> dict[str, Any]:
    """Deny all ingress and egress for sandbox pods that did not ask for the network."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": NETWORK_POLICY,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "agenthost"},
        },
        "spec": {
            "podSelector": {"matchLabels": {LABEL_SANDBOX: "true", LABEL_NETWORK: "none"}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [],
            "egress": [],
        },
    }


def denies_all(policy: dict[str, Any]) -> bool:
    """Whether a NetworkPolicy (camelCase dict) selects every closed sandbox pod and allows
    no traffic at all."""
    spec = policy.get("spec") or {}
    selector = spec.get("podSelector") or {}
    # Labels every closed sandbox pod carries: a selector asking only for these selects all.
    common = {
        LABEL_SANDBOX: "true",
        LABEL_NETWORK: "none",
        "app.kubernetes.io/name": "agenthost-sandbox",
        "app.kubernetes.io/managed-by": "agenthost",
    }
    selects = not selector.get("matchExpressions") and all(
        common.get(k) == v for k, v in (selector.get("matchLabels") or {}).items()
    )
    return (
        selects
        and set(spec.get("policyTypes") or []) >= {"Ingress", "Egress"}
        and not spec.get("ingress")
        and not spec.get("egress")
    )
