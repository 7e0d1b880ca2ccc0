"""The sandbox conformance suite on the kubernetes backend.

``TestKubernetesOnFakeApi`` runs it against the fake API server (a double: no cluster can
run here), so the whole client path is real — pod create/watch/delete, the exec websocket,
the framed protocol — while the "container" is the executor under bubblewrap on this machine.
``TestKubernetesOnCluster`` is the same suite on a real cluster; it exists only when
``AGENTHOST_K8S_SUITE=1`` and a kubeconfig is set (docs/kubernetes.md has the commands).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from agenthost.sandbox.api import Sandbox
from agenthost.testing.sandbox_suite import SandboxBackendSuite


class TestKubernetesOnFakeApi(SandboxBackendSuite):
    """Hardened defaults through the fake API server: nothing is declared uncontainable."""

    @pytest.fixture
    def sandbox_profile(self, k8s_profile: dict[str, Any]) -> dict[str, Any]:
        return k8s_profile


if os.environ.get("AGENTHOST_K8S_SUITE") == "1":

    class TestKubernetesOnCluster(SandboxBackendSuite):
        """A real cluster: ``KUBECONFIG``, ``AGENTHOST_K8S_NAMESPACE`` and
        ``AGENTHOST_K8S_IMAGE`` (the sandbox image, pushed where the nodes pull from)."""

        @pytest.fixture
        def sandbox_profile(self) -> dict[str, Any]:
            return {
                "backend": "kubernetes",
                "namespace": os.environ.get("AGENTHOST_K8S_NAMESPACE", "agenthost-sandboxes"),
                "image": os.environ.get("AGENTHOST_K8S_IMAGE", "agenthost-sandbox:py3"),
                "kubeconfig": os.environ.get("KUBECONFIG"),
            }

        def cannot_contain(self, attack: str, sandbox: Sandbox) -> str | None:
            if attack == "network":
                # A pod always has eth0; its egress is cut by the NetworkPolicy, which only
                # a CNI that enforces policies (Calico, Cilium, ...) applies.
                return "a pod has its own interface; the NetworkPolicy blocks its traffic"
            return None
