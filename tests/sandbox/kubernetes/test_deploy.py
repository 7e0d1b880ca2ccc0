"""``agenthost deploy kubernetes | image``: the manifests validate against the official client's
models, pod templates pass "restricted", secrets are only referenced, and the Role allows
exactly the API calls the backend made on the fake API server (a double: no cluster here)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from agenthost.cli import main
from agenthost.config import load_config
from agenthost.plugins import Plugins
from agenthost.testing.sandbox_suite import sandbox_factory
from agenthost_kubernetes.deploy import dockerfile, role_rules

from .fake_apiserver import FakeApiServer
from .models import round_trip
from .restricted import violations

CONFIG = """\
[host]
listen = "0.0.0.0:8080"
api_keys = [{ env = "KEY_ALICE", principal = "alice" }]

[agents.demo]
adapter = "python"
target = "agenthost.builtin.demo:agent"
sandbox = "pods"

[sandboxes.pods]
backend = "kubernetes"
namespace = "agent-sandboxes"
"""


def deploy(tmp_path: Path, *extra: str) -> list[dict[str, Any]]:
    config = tmp_path / "agenthost.toml"
    config.write_text(CONFIG)
    out = tmp_path / "manifests"
    assert main(["deploy", "kubernetes", str(config), "-o", str(out), *extra]) == 0
    return [yaml.safe_load(f.read_text()) for f in sorted(out.iterdir())]


def by_kind(manifests: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [m for m in manifests if m["kind"] == kind]


def test_every_manifest_is_valid_for_the_client_models(tmp_path: Path) -> None:
    manifests = deploy(tmp_path, "--create-namespaces", "--replicas", "2")
    kinds = [m["kind"] for m in manifests]
    assert kinds == [
        "Namespace", "Namespace", "ConfigMap", "ServiceAccount", "Role", "RoleBinding",
        "NetworkPolicy", "Deployment", "Service", "HorizontalPodAutoscaler",
        "PodDisruptionBudget", "NetworkPolicy",
    ]  # fmt: skip
    for manifest in manifests:
        assert round_trip(manifest) == manifest, manifest["kind"]


def test_the_host_pod_passes_restricted_and_probes_its_health(tmp_path: Path) -> None:
    (deployment,) = by_kind(deploy(tmp_path), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert violations(pod) == []
    container = pod["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["containerPort"] == 8080
    assert container["args"][:2] == ["serve", "/etc/agenthost/agenthost.toml"]
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"
    assert pod["automountServiceAccountToken"] is True  # it starts sandbox pods


def test_secrets_are_referenced_never_inlined(tmp_path: Path) -> None:
    manifests = deploy(tmp_path, "--replicas", "3")
    (deployment,) = by_kind(manifests, "Deployment")
    env = {
        e["name"]: e["valueFrom"]
        for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["KEY_ALICE"] == {"secretKeyRef": {"name": "agenthost-secrets", "key": "KEY_ALICE"}}
    assert env["REDIS_URL"] == {"secretKeyRef": {"name": "agenthost-secrets", "key": "REDIS_URL"}}
    assert env["AGENTHOST_POD_UID"] == {"fieldRef": {"fieldPath": "metadata.uid"}}
    assert not by_kind(manifests, "Secret")
    (config_map,) = by_kind(manifests, "ConfigMap")
    assert config_map["data"]["agenthost.toml"] == CONFIG
    (policy,) = [
        m for m in by_kind(manifests, "NetworkPolicy") if m["metadata"]["name"] == "agenthost"
    ]
    ports = [p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"]]
    assert 6379 in ports and 6443 in ports and 53 in ports
    assert policy["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8080}]}]


def test_one_replica_needs_no_redis(tmp_path: Path) -> None:
    (deployment,) = by_kind(deploy(tmp_path, "--max-replicas", "1"), "Deployment")
    names = [e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]]
    assert "REDIS_URL" not in names


async def test_the_role_allows_exactly_the_calls_the_backend_makes(
    api: FakeApiServer, k8s_profile: dict[str, Any], tmp_path: Path
) -> None:
    """A whole lifecycle on the fake API server — start (NetworkPolicy created, leftovers
    listed), a pod through a 410 on its watch, exec, a crash and restart, close — records
    every call; the Role deploy writes must allow each, and grant nothing unused."""
    api.gone_watches = 1
    profile = {**k8s_profile, "namespace": f"ns-{uuid.uuid4().hex[:8]}"}
    async with sandbox_factory(profile) as make:
        sandbox = await make()
        await sandbox.restart()
        assert (await sandbox.run_python("1")).value == "1"
    used = {
        (c.resource + (f"/{c.subresource}" if c.subresource else ""), c.verb) for c in api.calls
    }
    (role,) = by_kind(deploy(tmp_path), "Role")
    assert role["rules"] == role_rules()
    granted = {(r, v) for rule in role["rules"] for r in rule["resources"] for v in rule["verbs"]}
    assert used <= granted
    # Older API servers authorise a websocket exec as "get": granted, not recorded here.
    assert granted - used == {("pods/exec", "get")}


def test_dockerfile_pins_the_plugins_the_config_uses(tmp_path: Path) -> None:
    path = tmp_path / "agenthost.toml"
    path.write_text(CONFIG)
    text = dockerfile(load_config(path), Plugins())
    from importlib.metadata import version

    assert f"agenthost=={version('agenthost')}" in text
    assert f"agenthost-kubernetes=={version('agenthost-kubernetes')}" in text
    assert "agenthost-docker" not in text  # not named by the config
    assert "USER 65532:65532" in text and "EXPOSE 8080" in text


def test_apply_without_kubectl_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no kubectl on it
    config = tmp_path / "agenthost.toml"
    config.write_text(CONFIG)
    assert main(["deploy", "kubernetes", str(config), "-o", str(tmp_path / "o"), "--apply"]) == 2
    assert "--apply needs kubectl" in capsys.readouterr().err
