"""Which distribution provides a component that is not there: the install hint in errors.

Only this repository's own distributions are named. ``tests/core/test_docs.py`` checks the
table against what the workspace's distributions really register, so a hint never names a
distribution that does not exist or does not provide the component; anything else gets no
guessed name.
"""

from __future__ import annotations

import importlib.metadata as md

# (kind, component name) -> the distribution whose plugin registers it.
PROVIDERS: dict[tuple[str, str], str] = {
    ("adapter", "agentscope"): "agenthost-agentscope",
    ("adapter", "agno"): "agenthost-agno",
    ("adapter", "autogen"): "agenthost-autogen",
    ("adapter", "example"): "agenthost-example-adapter",
    ("adapter", "langgraph"): "agenthost-langgraph",
    ("adapter", "maf"): "agenthost-maf",
    ("frontend", "a2a"): "agenthost-a2a",
    ("frontend", "chat"): "agenthost-openai",
    ("frontend", "otel"): "agenthost-otel",
    ("frontend", "responses"): "agenthost-responses",
    ("sandbox_backend", "docker"): "agenthost-docker",
    ("sandbox_backend", "kubernetes"): "agenthost-kubernetes",
    ("store", "redis"): "agenthost-redis",
}


def install_hint(kind: str, name: str) -> str:
    """What to do about a missing ``kind`` named ``name``: the distribution to install, why an
    installed one is not loaded, or where to look."""
    dist = PROVIDERS.get((kind, name))
    if dist is None:
        return (
            f"no distribution of this project provides it; `agenthost plugins` lists what is "
            f"installed, and a third-party plugin that registers {name!r} must be installed"
        )
    try:
        version = md.version(dist)
    except md.PackageNotFoundError:
        return f"install the distribution that provides it: `pip install {dist}`"
    return (
        f"{dist} {version} provides it and is installed but its plugin is not loaded: check "
        "AGENTHOST_LOAD_PLUGINS / AGENTHOST_DISABLE_PLUGINS, and `agenthost plugins` for a "
        "load error"
    )
