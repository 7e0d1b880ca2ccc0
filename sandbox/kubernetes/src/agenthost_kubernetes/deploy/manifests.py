"""The manifests that run an agenthost host on Kubernetes, as plain dicts (camelCase).

What a platform team asks for: the config in a ConfigMap, secrets only referenced (every
``{ env = "NAME" }`` of the config becomes an env var from a Secret key), a ServiceAccount
whose Role in each sandbox namespace allows exactly the calls the backend makes, a Deployment
that passes Pod Security "restricted", probes on /healthz and /readyz, a Service, an HPA, a
PodDisruptionBudget, NetworkPolicies for the host and the sandboxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agenthost.config import Config

from ..options import KubernetesOptions
from ..owner import ENV_POD_NAME, ENV_POD_NAMESPACE, ENV_POD_UID
from ..podspec import network_policy_manifest

NAME = "agenthost"
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/managed-by": "agenthost"}
HOST_UID = 65532
CONFIG_DIR = "/etc/agenthost"


def role_rules() -> list[dict[str, Any]]:
    """The calls ``kubeapi.KubeApi`` makes, and nothing more."""
    return [
        {
            "apiGroups": [""],
            "resources": ["pods"],
            "verbs": ["create", "get", "list", "watch", "delete"],
        },
        # Newer API servers authorise a websocket exec as "create", older ones as "get".
        {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create", "get"]},
        {
            "apiGroups": ["networking.k8s.io"],
            "resources": ["networkpolicies"],
            "verbs": ["get", "create"],
        },
    ]


@dataclass
class DeploySettings:
    """The command line's choices (everything else comes from the config)."""

    namespace: str = NAME
    create_namespaces: bool = False
    image: str = "agenthost:latest"
    replicas: int = 1
    max_replicas: int = 3
    secret: str = "agenthost-secrets"
    redis_secret_key: str = "REDIS_URL"
    redis_port: int = 6379
    egress_ports: list[int] = field(default_factory=list)


def env_refs(value: Any) -> list[str]:
    """Every ``{ env = "NAME" }`` in a config mapping, in order, once each."""
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("env"), str):
            found.append(value["env"])
        for item in value.values():
            found += env_refs(item)
    elif isinstance(value, list):
        for item in value:
            found += env_refs(item)
    return list(dict.fromkeys(found))


def sandbox_namespaces(config: Config) -> list[str]:
    out = []
    for table in config.sandbox_profiles().values():
        if table.get("backend") == "kubernetes":
            options = KubernetesOptions.model_validate(
                {k: v for k, v in table.items() if k != "backend"}
            )
            out.append(options.namespace)
    return list(dict.fromkeys(out))


def _meta(name: str, namespace: str | None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(LABELS), **extra}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def _scale_out(s: DeploySettings) -> bool:
    return max(s.replicas, s.max_replicas) > 1


def _container(config: Config, s: DeploySettings, raw: dict[str, Any]) -> dict[str, Any]:
    port = config.host.port
    env: list[dict[str, Any]] = [
        {"name": ENV_POD_NAME, "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": ENV_POD_NAMESPACE, "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": ENV_POD_UID, "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
    ]
    keys = env_refs(raw)
    if _scale_out(s):
        keys.append(s.redis_secret_key)
    for key in dict.fromkeys(keys):
        env.append({"name": key, "valueFrom": {"secretKeyRef": {"name": s.secret, "key": key}}})
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
    return {
        "name": NAME,
        "image": s.image,
        "command": ["agenthost"],
        "args": ["serve", f"{CONFIG_DIR}/agenthost.toml", "--host", "0.0.0.0", "--port", str(port)],
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "env": env,
        "livenessProbe": probe,
        "readinessProbe": {**probe, "httpGet": {"path": "/readyz", "port": "http"}},
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"memory": "1Gi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def _deployment(config: Config, s: DeploySettings, raw: dict[str, Any], needs_api: bool) -> Any:
    selector = {"app.kubernetes.io/name": NAME}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(NAME, s.namespace),
        "spec": {
            "replicas": s.replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": dict(LABELS)},
                "spec": {
                    "serviceAccountName": NAME,
                    # Only a host that starts sandbox pods needs its token.
                    "automountServiceAccountToken": needs_api,
                    "enableServiceLinks": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": HOST_UID,
                        "runAsGroup": HOST_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [_container(config, s, raw)],
                    "volumes": [
                        {"name": "config", "configMap": {"name": f"{NAME}-config"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                    ],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "kubernetes.io/hostname",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": selector},
                        }
                    ],
                },
            },
        },
    }


def _host_network_policy(config: Config, s: DeploySettings) -> dict[str, Any]:
    tcp = [443, 6443, *s.egress_ports]  # the API server (443 / 6443) and HTTPS model APIs
    if _scale_out(s):
        tcp.append(s.redis_port)
    egress = [
        {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
        {"ports": [{"protocol": "TCP", "port": p} for p in dict.fromkeys(tcp)]},
    ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _meta(NAME, s.namespace),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"ports": [{"protocol": "TCP", "port": config.host.port}]}],
            "egress": egress,
        },
    }


def manifests(config: Config, raw_toml: str, raw: dict[str, Any], s: DeploySettings) -> list[Any]:
    """Everything, in apply order. ``raw`` is the parsed config mapping (for env refs)."""
    sandboxes = sandbox_namespaces(config)
    out: list[dict[str, Any]] = []
    if s.create_namespaces:
        for ns in dict.fromkeys([s.namespace, *sandboxes]):
            out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns, None)})
    out.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _meta(f"{NAME}-config", s.namespace),
            "data": {"agenthost.toml": raw_toml},
        }
    )
    out.append(
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": _meta(NAME, s.namespace),
            "automountServiceAccountToken": False,
        }
    )
    for ns in sandboxes:
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": _meta(f"{NAME}-sandboxes", ns),
                "rules": role_rules(),
            }
        )
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": _meta(f"{NAME}-sandboxes", ns),
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": f"{NAME}-sandboxes",
                },
                "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": s.namespace}],
            }
        )
        out.append(network_policy_manifest(ns))
    out.append(_deployment(config, s, raw, needs_api=bool(sandboxes)))
    out.append(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(NAME, s.namespace),
            "spec": {
                "selector": {"app.kubernetes.io/name": NAME},
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        }
    )
    out.append(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": _meta(NAME, s.namespace),
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": NAME},
                "minReplicas": s.replicas,
                "maxReplicas": max(s.replicas, s.max_replicas),
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            },
        }
    )
    out.append(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": _meta(NAME, s.namespace),
            "spec": {
                "maxUnavailable": 1,
                "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            },
        }
    )
    out.append(_host_network_policy(config, s))
    return out
