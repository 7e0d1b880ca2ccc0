"""The few Kubernetes API calls the backend makes, on the official client, off the event loop.

Every call is blocking (the client is urllib3-based), so each runs in the backend's thread
pool. Responses with ``Retry-After`` (429, and 5xx that carry it) are retried the way
client-go does (``kubernetes.utils.retry``), with each wait capped so a server can never park
a start for longer than ``MAX_RETRY_WAIT``.

The exact calls, which the RBAC that ``agenthost deploy kubernetes`` writes must allow::

    pods             create, get, list, watch, delete
    pods/exec        create (and get: older API servers authorise the websocket GET as get)
    networkpolicies  get, create
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.utils.retry import Backoff, is_retry_after_response, on_retry_after_error

from .options import KubernetesOptions

MAX_RETRY_WAIT = 30.0
REQUEST_TIMEOUT = 30.0  # seconds for one plain API call
RETRY = Backoff(steps=6, duration=0.1, factor=2.0, jitter=0.1)


def load_configuration(options: KubernetesOptions) -> client.Configuration:
    """The cluster to talk to: the profile's kubeconfig, else the in-cluster service account,
    else ``$KUBECONFIG`` / ``~/.kube/config``."""
    cfg = client.Configuration()
    if options.kubeconfig is None:
        try:
            config.load_incluster_config(client_configuration=cfg)
            return cfg
        except config.ConfigException:
            pass
    config.load_kube_config(
        config_file=options.kubeconfig, context=options.context, client_configuration=cfg
    )
    return cfg


def _capped_sleep(seconds: float) -> None:
    time.sleep(min(seconds, MAX_RETRY_WAIT))


class KubeApi:
    """Blocking calls (run them in a thread): pods, their exec stream, NetworkPolicies."""

    def __init__(self, configuration: client.Configuration) -> None:
        self.configuration = configuration
        self.api_client = client.ApiClient(configuration)
        self.core = client.CoreV1Api(self.api_client)
        self.networking = client.NetworkingV1Api(self.api_client)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
        return on_retry_after_error(
            RETRY, is_retry_after_response, lambda: fn(*args, **kwargs), _capped_sleep
        )

    def _plain(self, response: Any) -> Any:
        """A model as the camelCase dict the API sent (what the manifests are written in)."""
        return self.api_client.sanitize_for_serialization(response)

    # -- pods ------------------------------------------------------------------------------

    def create_pod(self, namespace: str, manifest: dict[str, Any]) -> dict[str, Any]:
        return dict(self._plain(self._call(self.core.create_namespaced_pod, namespace, manifest)))

    def read_pod(self, namespace: str, name: str) -> dict[str, Any]:
        return dict(self._plain(self._call(self.core.read_namespaced_pod, name, namespace)))

    def list_pods(self, namespace: str, selector: str) -> list[dict[str, Any]]:
        found = self._call(self.core.list_namespaced_pod, namespace, label_selector=selector)
        return [self._plain(pod) for pod in found.items or []]

    def delete_pod(self, namespace: str, name: str) -> bool:
        """Delete now (grace period 0). False when it was already gone."""
        try:
            self._call(
                self.core.delete_namespaced_pod,
                name,
                namespace,
                grace_period_seconds=0,
                propagation_policy="Background",
            )
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def watch_pod(
        self, namespace: str, name: str, resource_version: str, timeout: int
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """The pod's watch events, ``(type, pod as a camelCase dict)``, from
        ``resource_version`` on, for at most ``timeout`` seconds.
        Raises ``ApiException`` 410 when that version is too old (re-read, then watch again)."""
        w = watch.Watch()
        try:
            for event in w.stream(
                self.core.list_namespaced_pod,
                namespace,
                field_selector=f"metadata.name={name}",
                resource_version=resource_version,
                timeout_seconds=timeout,
                _request_timeout=timeout + 10,  # a server that ignores timeoutSeconds
            ):
                yield str(event["type"]), event["raw_object"]
        finally:
            w.stop()

    # -- exec ------------------------------------------------------------------------------

    def exec_stream(self, namespace: str, name: str, container: str, command: list[str]) -> Any:
        """Open the exec websocket (stdin, stdout, stderr, no tty); the client's ``WSClient``.

        A fresh ApiClient each time: the client's ``stream()`` swaps the ApiClient's transport
        while it connects, which would hijack other threads' calls on a shared one."""
        from kubernetes.stream import stream

        api = client.CoreV1Api(client.ApiClient(self.configuration))
        return stream(
            api.connect_get_namespaced_pod_exec,
            name,
            namespace,
            command=command,
            container=container,
            stdin=True,
            stdout=True,
            stderr=True,
            tty=False,
            binary=True,
            _preload_content=False,
        )

    # -- network policies ------------------------------------------------------------------

    def read_network_policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            policy = self._call(self.networking.read_namespaced_network_policy, name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return dict(self._plain(policy))

    def create_network_policy(self, namespace: str, manifest: dict[str, Any]) -> None:
        self._call(self.networking.create_namespaced_network_policy, namespace, manifest)

    def close(self) -> None:
        self.api_client.close()
