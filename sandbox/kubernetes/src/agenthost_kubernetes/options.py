"""``KubernetesOptions``: the keys of a ``[sandboxes.NAME]`` table with ``backend = "kubernetes"``.

Every default is the hardened one; what the table relaxes is listed by ``relaxations()`` and
logged at start, never silent.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from agenthost.sandbox.options import MiB, SandboxOptions, parse_size

# The image `agenthost sandbox build-image` (agenthost-docker) builds; push it to a registry
# the cluster pulls from and name it here.
DEFAULT_IMAGE = "agenthost-sandbox:py3"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class KubernetesOptions(SandboxOptions):
    """Options of the ``kubernetes`` sandbox backend (plus the shared ``SandboxOptions``)."""

    namespace: str = Field(default="agenthost-sandboxes", description="namespace of the pods")
    image: str = Field(default=DEFAULT_IMAGE, description="image with python3 (>= 3.11)")
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    python: str = Field(default="python3", description="the interpreter inside the image")
    uid: int | None = Field(
        default=None,
        gt=0,
        description="uid of the sandbox (unset: a fresh uid per pod, so `pids` is per sandbox)",
    )
    workdir: str = Field(default="/work", description="the work dir (an emptyDir)")
    workdir_size: int = Field(default=256 * MiB, description="sizeLimit of the work dir")
    tmp_size: int = Field(default=64 * MiB, description="sizeLimit of /tmp")
    ephemeral_storage: int | None = Field(
        default=None, description="ephemeral-storage request = limit (unset: work dir + /tmp)"
    )
    runtime_class: str | None = Field(
        default=None, description='runtimeClassName, e.g. "gvisor" or "kata"'
    )
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[dict[str, Any]] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict, description="extra pod labels")
    annotations: dict[str, str] = Field(default_factory=dict, description="extra annotations")
    kubeconfig: str | None = Field(
        default=None, description="kubeconfig path (unset: in-cluster, else ~/.kube/config)"
    )
    context: str | None = Field(default=None, description="kubeconfig context")
    start_timeout: float = Field(default=120.0, gt=0, description="seconds for a pod to run")
    max_pod_age: int | None = Field(
        default=86400, gt=0, description="activeDeadlineSeconds: the kubelet's last resort"
    )
    network_policy: Literal["create", "verify", "off"] = Field(
        default="create",
        description="the deny-all NetworkPolicy for sandbox pods: create it when missing, "
        "only verify it, or skip it (a relaxation)",
    )

    @field_validator("workdir_size", "tmp_size", "ephemeral_storage", mode="before")
    @classmethod
    def _k8s_sizes(cls, value: Any) -> Any:
        return parse_size(value)

    @field_validator("namespace")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        if not _DNS_LABEL.match(value):
            raise ValueError("a namespace is a DNS label: lower-case letters, digits and '-'")
        return value

    @field_validator("workdir")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or value.rstrip("/") in ("", "/tmp"):
            raise ValueError("workdir must be an absolute path other than / and /tmp")
        return value.rstrip("/")

    def relaxations(self) -> list[str]:
        """Each hardening measure these options turn off, in words (empty: fully hardened)."""
        out = []
        if self.network:
            out.append("network on (the pods are not selected by the deny-all NetworkPolicy)")
        elif self.network_policy == "off":
            out.append("no NetworkPolicy managed (egress is whatever the namespace allows)")
        for key in ("memory", "cpus", "file_size", "open_files"):
            if getattr(self, key) is None:
                out.append(f"no {key.replace('_', ' ')} limit")
        if self.pids is None:
            out.append("no per-sandbox process limit (only the kubelet's podPidsLimit)")
        elif self.uid is not None:
            out.append("a fixed uid: the process limit is the kubelet's podPidsLimit, not `pids`")
        return out
