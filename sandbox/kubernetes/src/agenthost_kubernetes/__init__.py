"""agenthost sandbox backend on Kubernetes: ``KubernetesBackend``, ``KubernetesOptions``."""

from .backend import KubernetesBackend, KubernetesExecutor
from .options import DEFAULT_IMAGE, KubernetesOptions

__all__ = ["DEFAULT_IMAGE", "KubernetesBackend", "KubernetesExecutor", "KubernetesOptions"]
