"""``agenthost deploy image``: a Dockerfile holding agenthost and exactly the plugins a config
uses, pinned to the versions installed here."""

from __future__ import annotations

from typing import Any

from agenthost.config import Config
from agenthost.plugins import Plugins

BASE = "python:3.11-slim"


def used_distributions(config: Config, plugins: Plugins) -> dict[str, str]:
    """Distribution → installed version, for agenthost and each plugin the config names."""
    wanted: list[tuple[Any, str]] = [("store", str(config.store.get("backend", "memory")))]
    wanted += [("frontend", name) for name in config.frontend_names(plugins)]
    wanted += [("adapter", a.adapter) for a in config.agents.values() if a.adapter]
    wanted += [
        ("sandbox_backend", str(t.get("backend", "local")))
        for t in config.sandbox_profiles().values()
    ]
    wanted += [("authenticator", name) for name in config.auth]
    owners = {plugins.get(kind, name).plugin for kind, name in wanted}
    found = {"agenthost": ""}
    for info in plugins.info():
        if (info.name in owners or info.builtin) and info.distribution:
            found[info.distribution] = info.version or ""
    return dict(sorted(found.items()))


def dockerfile(config: Config, plugins: Plugins, config_name: str = "agenthost.toml") -> str:
    pins = " ".join(f"{d}=={v}" if v else d for d, v in used_distributions(config, plugins).items())
    undetected = sorted(name for name, a in config.agents.items() if not a.adapter)
    note = ""
    if undetected:
        note = (
            f"# agents {', '.join(undetected)} name no adapter (it is detected at run time):\n"
            "# add the plugin that serves them to the pip line if it is not agenthost's own.\n"
        )
    return (
        f"FROM {BASE}\n"
        "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n"
        f"{note}"
        f"RUN pip install --no-cache-dir {pins}\n"
        "WORKDIR /app\n"
        "COPY . /app\n"
        "USER 65532:65532\n"
        f"EXPOSE {config.host.port}\n"
        f'CMD ["agenthost", "serve", "/app/{config_name}", "--host", "0.0.0.0"]\n'
    )
