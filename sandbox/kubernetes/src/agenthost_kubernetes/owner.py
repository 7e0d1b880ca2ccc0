"""Who owns a sandbox pod: the host's identity, as labels and an ownerReference.

In the cluster (``agenthost deploy kubernetes`` passes the pod's name, namespace and uid
through the downward API as ``AGENTHOST_POD_*``), the host is its pod: sandbox pods in the
same namespace carry an ownerReference to it, so the garbage collector removes them with the
host's pod, and a host container that crashed and restarted in the same pod reaps what its
predecessor left at its next start. Outside the cluster the host is this machine, and a pod
is left to a living process (``agenthost.io/owner-pid``) of the same machine.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

ENV_POD_NAME = "AGENTHOST_POD_NAME"
ENV_POD_NAMESPACE = "AGENTHOST_POD_NAMESPACE"
ENV_POD_UID = "AGENTHOST_POD_UID"


def label_value(text: str) -> str:
    """``text`` as a valid label value (63 characters of ``[A-Za-z0-9_.-]``, alphanumeric ends)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:63].strip("-_.") or "x"


@dataclass(frozen=True)
class HostIdentity:
    """The host as its sandbox pods name it. ``instance`` is one backend of one process."""

    label: str  # agenthost.io/host
    pid: int
    pod_name: str | None = None
    pod_namespace: str | None = None
    pod_uid: str | None = None
    instance: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    @classmethod
    def current(cls) -> HostIdentity:
        name = os.environ.get(ENV_POD_NAME)
        if name:
            return cls(
                label=label_value(f"pod-{name}"),
                pid=os.getpid(),
                pod_name=name,
                pod_namespace=os.environ.get(ENV_POD_NAMESPACE),
                pod_uid=os.environ.get(ENV_POD_UID),
            )
        return cls(label=label_value(f"machine-{socket.gethostname()}"), pid=os.getpid())

    @property
    def in_cluster(self) -> bool:
        return self.pod_name is not None

    def owner_reference(self, namespace: str) -> dict[str, Any] | None:
        """An ownerReference to the host's pod; None outside the cluster or across namespaces
        (Kubernetes ignores an owner in another namespace)."""
        if not (self.pod_name and self.pod_uid and self.pod_namespace == namespace):
            return None
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": self.pod_name,
            "uid": self.pod_uid,
            "blockOwnerDeletion": False,
        }

    def owns_leftover(self, labels: dict[str, str], owner_pid: str | None, live: set[str]) -> bool:
        """Whether a pod of this host's label, not made by a live backend of this process,
        was left by a host that is gone (so it may be deleted)."""
        if labels.get("agenthost.io/host") != self.label:
            return False
        if labels.get("agenthost.io/instance") in live:
            return False
        if self.in_cluster:
            return True  # one host process per pod: the pod's earlier container made it
        if owner_pid is None or not owner_pid.isdigit():
            return False
        return int(owner_pid) == self.pid or not _alive(int(owner_pid))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
