"""Validation of manifests against the official client's models (pydantic, generated from
the Kubernetes OpenAPI document): parse, then serialise back — a misspelt or misplaced key
is dropped by the parse, so the round trip differs."""

from __future__ import annotations

from typing import Any

from kubernetes import client

MODELS: dict[tuple[str, str], Any] = {
    ("v1", "Pod"): client.V1Pod,
    ("v1", "Namespace"): client.V1Namespace,
    ("v1", "ConfigMap"): client.V1ConfigMap,
    ("v1", "ServiceAccount"): client.V1ServiceAccount,
    ("v1", "Service"): client.V1Service,
    ("rbac.authorization.k8s.io/v1", "Role"): client.V1Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): client.V1RoleBinding,
    ("apps/v1", "Deployment"): client.V1Deployment,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): client.V2HorizontalPodAutoscaler,
    ("policy/v1", "PodDisruptionBudget"): client.V1PodDisruptionBudget,
    ("networking.k8s.io/v1", "NetworkPolicy"): client.V1NetworkPolicy,
}


def round_trip(manifest: dict[str, Any]) -> Any:
    """The manifest as the client's model sees it (equal to the input when it is valid)."""
    model = MODELS[(manifest["apiVersion"], manifest["kind"])]
    return client.ApiClient().sanitize_for_serialization(model.from_dict(manifest))
