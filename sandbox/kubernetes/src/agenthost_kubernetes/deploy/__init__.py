"""``agenthost deploy kubernetes | image``: manifests and a Dockerfile for running the host."""

from .image import dockerfile, used_distributions
from .manifests import DeploySettings, env_refs, manifests, role_rules

__all__ = [
    "DeploySettings",
    "dockerfile",
    "env_refs",
    "manifests",
    "role_rules",
    "used_distributions",
]
