"""Every manifest against the official Kubernetes OpenAPI schemas of the three newest minor
versions `kubernetes-validate` ships, in strict mode (an unknown key is an error, not dropped):
what ``agenthost deploy kubernetes`` writes, in each of its shapes, and the sandbox pod and
NetworkPolicy the backend sends, plain and with every profile option that adds a field."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate import utils
from packaging.version import Version

from agenthost.cli import main
from agenthost.sandbox.backend import SandboxSpec
from agenthost_kubernetes.options import KubernetesOptions
from agenthost_kubernetes.owner import HostIdentity
from agenthost_kubernetes.podspec import network_policy_manifest, pod_manifest

from .test_deploy import CONFIG


def newest_minors(count: int = 3) -> list[str]:
    """The ``count`` newest minor versions the installed package has schemas for."""
    minors = {utils.major_minor(v) for v in utils.all_versions()}
    return sorted(minors, key=Version)[-count:]


VERSIONS = newest_minors()

# `deploy kubernetes` in each shape that changes what it writes.
DEPLOY_SHAPES: dict[str, list[str]] = {
    "plain": [],
    "namespaces+scaled-out": ["--create-namespaces", "--replicas", "2", "--egress-port", "5432"],
    "one-replica": ["--max-replicas", "1", "--namespace", "agents", "--secret", "s"],
}

SPEC = SandboxSpec(sandbox_id="sbx_0123abc", profile="default", options=KubernetesOptions())
HOST = HostIdentity(label="machine-test", pid=4242, instance="inst1")
IN_CLUSTER = HostIdentity(
    label="pod-agenthost-7d9f",
    pid=1,
    instance="inst2",
    pod_name="agenthost-7d9f",
    pod_namespace="agents",
    pod_uid="1f0e-uid",
)

# Sandbox profiles that add or change fields of the pod.
POD_SHAPES: dict[str, dict[str, Any]] = {
    "default": {},
    "everything": {
        "namespace": "agents",
        "image": "registry.example/sandbox:1",
        "runtime_class": "gvisor",
        "node_selector": {"pool": "sandboxes"},
        "tolerations": [{"key": "sandbox", "operator": "Exists", "effect": "NoSchedule"}],
        "labels": {"team": "a"},
        "annotations": {"cost-center": "42"},
        "max_pod_age": 600,
        "memory": "1g",
        "cpus": 0.5,
        "ephemeral_storage": "2g",
        "env": {"FOO": "bar"},
    },
    "open-fixed-uid-unlimited": {"network": True, "uid": 70000, "memory": None, "cpus": None},
}


def deploy_manifests(tmp_path: Path) -> list[tuple[str, dict[str, Any]]]:
    config = tmp_path / "agenthost.toml"
    config.write_text(CONFIG)
    out: list[tuple[str, dict[str, Any]]] = []
    for shape, args in DEPLOY_SHAPES.items():
        directory = tmp_path / shape
        assert main(["deploy", "kubernetes", str(config), "-o", str(directory), *args]) == 0
        for path in sorted(directory.iterdir()):
            for doc in yaml.safe_load_all(path.read_text()):
                out.append((f"{shape}/{path.name}", doc))
    return out


def sandbox_manifests() -> list[tuple[str, dict[str, Any]]]:
    out = [
        (f"pod:{name}", pod_manifest(KubernetesOptions(**options), SPEC, HOST))
        for name, options in POD_SHAPES.items()
    ]
    owned = pod_manifest(KubernetesOptions(namespace="agents"), SPEC, IN_CLUSTER)
    assert "ownerReferences" in owned["metadata"]
    out.append(("pod:owned", owned))
    out.append(("networkpolicy", network_policy_manifest("sandboxes")))
    return out


@pytest.fixture(scope="module", autouse=True)
def cached_schemas() -> Iterator[None]:
    """``validate`` reads and parses the version's 1.8 MB definitions file on every call
    (~35 ms); read each file once for this module (jsonschema never mutates a schema)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utils, "schema_contents", functools.cache(utils.schema_contents))
        yield


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, dict[str, Any]]]:
    return deploy_manifests(tmp_path_factory.mktemp("deploy")) + sandbox_manifests()


def test_three_versions_are_known() -> None:
    assert len(VERSIONS) == 3
    assert Version(VERSIONS[0]) >= Version("1.35")  # the package is recent enough to matter


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_validates_strictly(
    version: str, manifests: list[tuple[str, dict[str, Any]]]
) -> None:
    kinds = {m["kind"] for _, m in manifests}
    assert kinds == {
        "Namespace", "ConfigMap", "ServiceAccount", "Role", "RoleBinding", "NetworkPolicy",
        "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Pod",
    }  # fmt: skip
    errors = []
    for name, manifest in manifests:
        try:
            # The schema used must be this minor's own, not an older fallback.
            assert kubernetes_validate.validate(manifest, version, strict=True) == version
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{name} ({manifest['kind']}): {e.message} at {list(e.absolute_path)}")
    assert errors == []


@pytest.mark.parametrize("version", VERSIONS)
def test_a_misspelt_key_fails(version: str) -> None:
    """The check has teeth: strict mode rejects a key the schema does not have."""
    pod = pod_manifest(KubernetesOptions(), SPEC, HOST)
    pod["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(pod, version, strict=True)
    policy = network_policy_manifest("sandboxes")
    policy["spec"]["policyTypes"] = "Egress"  # a list in the schema
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(policy, version, strict=True)
