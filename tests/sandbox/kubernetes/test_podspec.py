"""The sandbox pod and NetworkPolicy as data: every promised field, Pod Security "restricted",
and validity against the official client's models."""

from __future__ import annotations

from typing import Any

import pytest

from agenthost.sandbox.backend import SandboxSpec, executor_source
from agenthost_kubernetes.options import KubernetesOptions
from agenthost_kubernetes.owner import ENV_POD_NAME, ENV_POD_NAMESPACE, ENV_POD_UID, HostIdentity
from agenthost_kubernetes.podspec import (
    BOOTSTRAP,
    denies_all,
    exec_command,
    network_policy_manifest,
    pod_manifest,
)

from .models import round_trip
from .restricted import violations

SPEC = SandboxSpec(sandbox_id="sbx_0123abc", profile="default", options=KubernetesOptions())


def pod(**options: Any) -> dict[str, Any]:
    host = HostIdentity(label="machine-test", pid=4242, instance="inst1")
    return pod_manifest(KubernetesOptions(**options), SPEC, host)


def env_of(manifest: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in manifest["spec"]["containers"][0]["env"]}


def test_the_default_pod_passes_restricted_and_the_client_models() -> None:
    manifest = pod()
    assert violations(manifest["spec"]) == []
    assert round_trip(manifest) == manifest


def test_closed_by_default() -> None:
    spec = pod()["spec"]
    assert spec["automountServiceAccountToken"] is False
    assert spec["enableServiceLinks"] is False
    assert spec["terminationGracePeriodSeconds"] == 0
    assert spec["restartPolicy"] == "Never"
    assert not any(spec[k] for k in ("hostNetwork", "hostPID", "hostIPC"))
    assert spec["securityContext"]["runAsUser"] >= 2_000_000  # a uid of its own
    container = spec["containers"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes[mounts["/work"]]["emptyDir"] == {"sizeLimit": str(256 * 1024 * 1024)}
    assert volumes[mounts["/tmp"]]["emptyDir"] == {"sizeLimit": str(64 * 1024 * 1024)}
    assert all(set(v) == {"name", "emptyDir"} for v in spec["volumes"])  # no host paths


def test_requests_equal_limits() -> None:
    resources = pod(memory="1g", cpus=0.5, workdir_size="100m", tmp_size="10m")["spec"][
        "containers"
    ][0]["resources"]
    assert resources["requests"] == resources["limits"]
    assert resources["limits"] == {
        "memory": str(1 << 30),
        "cpu": "500m",
        "ephemeral-storage": str((100 + 10 + 64) * 1024 * 1024),
    }


def test_profile_placement_runtime_labels_and_annotations() -> None:
    manifest = pod(
        namespace="team-a",
        image="registry.example/sandbox:1",
        runtime_class="gvisor",
        node_selector={"pool": "sandboxes"},
        tolerations=[{"key": "sandbox", "operator": "Exists", "effect": "NoSchedule"}],
        labels={"team": "a"},
        annotations={"cost-center": "42"},
        max_pod_age=600,
    )
    assert round_trip(manifest) == manifest
    meta, spec = manifest["metadata"], manifest["spec"]
    assert meta["namespace"] == "team-a"
    assert spec["runtimeClassName"] == "gvisor"
    assert spec["nodeSelector"] == {"pool": "sandboxes"}
    assert spec["tolerations"][0]["key"] == "sandbox"
    assert spec["activeDeadlineSeconds"] == 600
    assert spec["containers"][0]["image"] == "registry.example/sandbox:1"
    assert meta["labels"]["team"] == "a" and meta["labels"]["agenthost.io/network"] == "none"
    assert meta["labels"]["agenthost.io/host"] == "machine-test"
    assert meta["annotations"]["cost-center"] == "42"
    assert meta["annotations"]["agenthost.io/owner-pid"] == "4242"


def test_the_executor_travels_in_the_environment_with_its_limits() -> None:
    manifest = pod(file_size="8m", open_files=64, pids=50, cpu_time=30, env={"FOO": "bar"})
    env = env_of(manifest)
    assert env["AGENTHOST_EXECUTOR"] == executor_source().decode()
    assert env["AGENTHOST_RLIMITS"] == f"fsize={8 << 20},nofile=64,cpu=30,nproc=50"
    assert env["FOO"] == "bar" and env["HOME"] == "/work"
    assert exec_command(KubernetesOptions()) == ["python3", "-u", "-c", BOOTSTRAP, "/work"]
    # A fixed uid is shared by every pod on a node: a per-uid process cap would be too.
    assert "nproc" not in env_of(pod(uid=70000))["AGENTHOST_RLIMITS"]


def test_in_cluster_host_owns_its_pods(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_POD_NAME, "agenthost-7d9f")
    monkeypatch.setenv(ENV_POD_NAMESPACE, "agents")
    monkeypatch.setenv(ENV_POD_UID, "1f0e-uid")
    host = HostIdentity.current()
    same = pod_manifest(KubernetesOptions(namespace="agents"), SPEC, host)
    assert same["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": "agenthost-7d9f",
            "uid": "1f0e-uid",
            "blockOwnerDeletion": False,
        }
    ]
    assert same["metadata"]["labels"]["agenthost.io/host"] == "pod-agenthost-7d9f"
    assert round_trip(same) == same
    other = pod_manifest(KubernetesOptions(namespace="elsewhere"), SPEC, host)
    assert "ownerReferences" not in other["metadata"]  # owners never cross namespaces


def test_network_policy_denies_everything_for_closed_pods() -> None:
    policy = network_policy_manifest("sandboxes")
    assert round_trip(policy) == policy
    assert denies_all(policy)
    selector = policy["spec"]["podSelector"]["matchLabels"]
    closed, open_ = pod()["metadata"]["labels"], pod(network=True)["metadata"]["labels"]
    assert all(closed.get(k) == v for k, v in selector.items())
    assert not all(open_.get(k) == v for k, v in selector.items())
    leaky = network_policy_manifest("sandboxes")
    leaky["spec"]["egress"] = [{}]
    assert not denies_all(leaky)
    narrow = network_policy_manifest("sandboxes")
    narrow["spec"]["podSelector"]["matchLabels"]["team"] = "a"
    assert not denies_all(narrow)


def test_relaxations_are_named() -> None:
    assert KubernetesOptions().relaxations() == []
    relaxed = KubernetesOptions(network=True, memory=None, uid=1000).relaxations()
    assert relaxed[0].startswith("network on")
    assert "no memory limit" in relaxed
    assert any("fixed uid" in r for r in relaxed)
