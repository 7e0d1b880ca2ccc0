"""The kubernetes backend's pod lifecycle on the fake API server (a double: no cluster can run
here): warm pool, reaping, start failures named, API errors handled, pod deletion."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import uuid
from typing import Any

import pytest

from agenthost.plugins import Plugins
from agenthost.sandbox.errors import ExecutorCrashed, SandboxStartError
from agenthost.sandbox.manager import SandboxManager
from agenthost.testing.sandbox_suite import sandbox_factory
from agenthost_kubernetes import backend as backend_module
from agenthost_kubernetes.backend import KubernetesBackend
from agenthost_kubernetes.options import KubernetesOptions
from agenthost_kubernetes.owner import HostIdentity
from agenthost_kubernetes.podspec import NETWORK_POLICY, network_policy_manifest

from .fake_apiserver import FakeApiServer

pytestmark = pytest.mark.asyncio


def fresh(profile: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """``profile`` in a namespace of its own (NetworkPolicies and pods stay apart)."""
    return {**profile, "namespace": f"ns-{uuid.uuid4().hex[:8]}", **extra}


def names(api: FakeApiServer, namespace: str) -> set[str]:
    return {p["metadata"]["name"] for p in api.live_pods(namespace)}


async def test_warm_pool_is_running_pods_and_refills(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    profile = fresh(k8s_profile, pool=2)
    manager = SandboxManager({"warm": profile}, Plugins())
    try:
        await manager.start(["warm"])
        pods = api.live_pods(profile["namespace"])
        assert len(pods) == 2
        assert all(p["status"]["phase"] == "Running" for p in pods)
        sandbox = await manager.create("warm")
        assert sandbox.info()["backend"]["pod"] in {p["metadata"]["name"] for p in pods}
        assert (await sandbox.run_python("6 * 7")).value == "42"
        refill = manager._profiles["warm"].refill  # the pool's background fill, bounded
        assert refill is not None
        await asyncio.wait_for(refill, 30)
        assert len(api.live_pods(profile["namespace"])) == 3  # two warm, one in use
    finally:
        await manager.close()
    assert api.live_pods(profile["namespace"]) == []


async def test_close_deletes_the_pod_at_once(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    profile = fresh(k8s_profile)
    async with sandbox_factory(profile) as make:
        sandbox = await make()
        pod = sandbox.info()["backend"]["pod"]
        assert names(api, profile["namespace"]) == {pod}
        await sandbox.close()
        assert names(api, profile["namespace"]) == set()
    deletes = [c for c in api.calls if c.verb == "delete" and c.resource == "pods"]
    assert deletes and all(c.query.get("gracePeriodSeconds") == "0" for c in deletes)


async def test_a_crashed_hosts_pods_are_reaped_at_the_next_start(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    options = KubernetesOptions(**{k: v for k, v in fresh(k8s_profile).items() if k != "backend"})
    exited = subprocess.Popen(["true"])  # its pid is that of a process that is gone
    exited.wait()
    bystander = KubernetesBackend(options)  # another host of this machine, still alive
    bystander.host = HostIdentity(label=bystander.host.label, pid=1)
    await bystander.start()
    kept = await bystander.spawn(_spec("sbx_bystander"))
    crashed = KubernetesBackend(options)
    crashed.host = HostIdentity(label=crashed.host.label, pid=exited.pid)
    await crashed.start()
    leftover = await crashed.spawn(_spec("sbx_crashed"))
    assert names(api, options.namespace) == {"agenthost-sbx-crashed", "agenthost-sbx-bystander"}
    # The crash: the process is gone, so none of its backends is live any more.
    backend_module._LIVE_INSTANCES.discard(crashed.host.instance)

    successor = KubernetesBackend(options)
    await successor.start()
    try:
        assert names(api, options.namespace) == {"agenthost-sbx-bystander"}
    finally:
        await leftover.kill()
        await kept.kill()
        for backend in (successor, bystander, crashed):
            await backend.close()
    assert names(api, options.namespace) == set()


def _spec(sandbox_id: str) -> Any:
    from agenthost.sandbox.backend import SandboxSpec
    from agenthost.sandbox.options import SandboxOptions

    return SandboxSpec(sandbox_id=sandbox_id, profile="p", options=SandboxOptions())


@pytest.mark.parametrize(
    ("extra", "cause"),
    [
        ({"image": "missing/sandbox:1"}, "ImagePullBackOff: the cluster cannot pull"),
        ({"node_selector": {"disktype": "ssd"}, "start_timeout": 1}, "Unschedulable"),
    ],
)
async def test_a_pod_that_cannot_start_names_the_cause(
    api: FakeApiServer, k8s_profile: dict[str, Any], extra: dict[str, Any], cause: str
) -> None:
    profile = fresh(k8s_profile, **extra)
    async with sandbox_factory(profile) as make:
        with pytest.raises(SandboxStartError) as failed:
            await make()
    assert cause in str(failed.value)
    assert api.live_pods(profile["namespace"]) == []  # the failed pod was deleted


async def test_unschedulable_fails_at_the_start_timeout_not_before(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    profile = fresh(k8s_profile, node_selector={"disktype": "ssd"}, start_timeout=1)
    async with sandbox_factory(profile) as make:
        with pytest.raises(SandboxStartError) as failed:
            await make()
    assert "did not start within 1 s" in str(failed.value)
    assert "didn't match Pod's node affinity/selector" in str(failed.value)


async def test_exhausted_quota_is_named(api: FakeApiServer, k8s_profile: dict[str, Any]) -> None:
    api.quota = 0
    async with sandbox_factory(fresh(k8s_profile)) as make:
        with pytest.raises(SandboxStartError) as failed:
            await make()
    assert "ResourceQuota is exhausted" in str(failed.value)
    assert "exceeded quota" in str(failed.value)


async def test_forbidden_names_the_missing_role(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    api.fault("POST", r"/pods$", 403)
    async with sandbox_factory(fresh(k8s_profile)) as make:
        with pytest.raises(SandboxStartError) as failed:
            await make()
    assert "agenthost deploy kubernetes" in str(failed.value)


async def test_too_many_requests_waits_for_retry_after(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    api.fault("POST", r"/pods$", 429, headers={"Retry-After": "1"})
    async with sandbox_factory(fresh(k8s_profile)) as make:
        sandbox = await make()
        assert (await sandbox.run_python("1 + 1")).value == "2"
    creates = [
        c for c in api.calls if c.verb == "create" and c.resource == "pods" and not c.subresource
    ]
    assert len(creates) == 2
    assert creates[1].at - creates[0].at >= 1.0


async def test_watch_410_gone_rereads_the_pod_and_watches_again(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    api.gone_watches = 1
    async with sandbox_factory(fresh(k8s_profile)) as make:
        sandbox = await make()
        assert (await sandbox.run_python("'up'")).value == "'up'"
    verbs = [c.verb for c in api.calls if c.resource == "pods" and not c.subresource]
    assert verbs[verbs.index("watch") + 1] == "get"  # re-read at once, then went on


async def test_network_policy_created_once_and_a_racing_host_tolerated(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    profile = fresh(k8s_profile)
    ns = profile["namespace"]

    def another_host_made_it() -> None:
        api.state.policies[(ns, NETWORK_POLICY)] = network_policy_manifest(ns)

    api.fault("POST", r"/networkpolicies$", 409, then=another_host_made_it)
    async with sandbox_factory(profile) as make:
        sandbox = await make()
        assert (await sandbox.run_python("1")).value == "1"
    assert (ns, NETWORK_POLICY) in api.state.policies


async def test_a_policy_that_lets_traffic_through_is_refused(
    api: FakeApiServer, k8s_profile: dict[str, Any]
) -> None:
    profile = fresh(k8s_profile)
    ns = profile["namespace"]
    leaky = network_policy_manifest(ns)
    leaky["spec"]["egress"] = [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]
    api.state.policies[(ns, NETWORK_POLICY)] = leaky
    async with sandbox_factory(profile) as make:
        with pytest.raises(SandboxStartError) as failed:
            await make()
    assert "does not deny all traffic" in str(failed.value)


async def test_network_true_relaxes_and_says_so(
    api: FakeApiServer, k8s_profile: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    profile = fresh(k8s_profile, network=True)
    caplog.set_level(logging.WARNING, "agenthost.kubernetes")
    async with sandbox_factory(profile) as make:
        sandbox = await make()
        assert sandbox.info()["backend"]["relaxed"] == [
            "network on (the pods are not selected by the deny-all NetworkPolicy)"
        ]
        pod = api.live_pods(profile["namespace"])[0]
        assert pod["metadata"]["labels"]["agenthost.io/network"] == "open"
    assert not [c for c in api.calls if c.resource == "networkpolicies"]
    assert "hardening relaxed by config: network on" in caplog.text


async def test_v4_channel_protocol_and_exit_status(
    k8s_profile: dict[str, Any], tmp_path: Any
) -> None:
    """A server that speaks only v4 (no stdin half-close): the executor still serves, and
    its exit status still comes back over the status channel."""
    old = FakeApiServer(exec_protocols=("v4.channel.k8s.io",))
    old.start()
    try:
        profile = fresh(k8s_profile, kubeconfig=str(old.kubeconfig(tmp_path / "config")))
        async with sandbox_factory(profile) as make:
            sandbox = await make()
            assert sandbox.info()["backend"]["protocol"] == "v4.channel.k8s.io"
            with pytest.raises(ExecutorCrashed) as crash:
                await sandbox.run_python("import os\nos._exit(5)")
            assert "status 5" in str(crash.value)
            assert (await sandbox.run_python("'again'")).value == "'again'"
    finally:
        old.stop()
