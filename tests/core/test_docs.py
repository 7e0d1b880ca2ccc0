"""Meta-tests: every hook is documented, and the public API is exported."""

from pathlib import Path

import pytest

import agenthost
from agenthost import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_hook_is_documented() -> None:
    text = (DOCS / "plugins.md").read_text()
    hooks = [n for n in dir(hookspecs) if n.startswith(("register_", "startup", "shutdown"))]
    assert hooks, "no hooks found"
    for name in hooks:
        assert f"`{name}`" in text, f"hook {name} is not documented in docs/plugins.md"


def test_all_is_complete_and_sorted() -> None:
    exported = set(agenthost.__all__)
    public = {n for n in vars(agenthost) if not n.startswith("_") and n[0].isupper()}
    public -= {m for m in public if isinstance(getattr(agenthost, m), type(agenthost))}
    assert public <= exported, f"not in __all__: {sorted(public - exported)}"
    assert list(agenthost.__all__) == sorted(agenthost.__all__)


# --------------------------------------------------------------------------- what ships

ROOT = DOCS.parent
SOURCES = ["core/src", "adapters/*/src", "protocols/*/src", "sandbox/*/src", "plugins/*/src"]


def workspace() -> dict[str, set[str]]:
    """Distribution name -> its extras, for every member of the uv workspace."""
    import tomllib

    root = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    excluded = {ROOT / pattern for pattern in root.get("exclude", [])}
    members: dict[str, set[str]] = {}
    for pattern in root["members"]:
        for folder in ROOT.glob(pattern):
            if folder in excluded or not (folder / "pyproject.toml").exists():
                continue
            project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
            members[project["name"]] = set(project.get("optional-dependencies", {}))
    return members


def suggested_installs() -> list[tuple[str, str]]:
    """(where, requirement) for every ``pip install agenthost...`` the docs, the README or the
    code (error messages, hints) tell a user to run."""
    import re

    files = [ROOT / "README.md", *DOCS.glob("*.md")]
    for pattern in SOURCES:
        files += ROOT.glob(f"{pattern}/**/*.py")
    found = []
    for path in files:
        for line in path.read_text().splitlines():
            for match in re.finditer(r"pip install\s+(.*)", line):
                for token in re.split(r"\s+", match.group(1)):
                    if token.startswith(("#", "&&", ";")):
                        break
                    name = re.match(r"agenthost[\w.-]*(?:\[[\w,.-]+\])?", token.lstrip("`'\""))
                    if name and "{" not in token:
                        found.append((str(path.relative_to(ROOT)), name.group(0).rstrip(".")))
    return found


def test_every_suggested_install_names_a_distribution_of_the_workspace() -> None:
    from packaging.requirements import Requirement

    members = workspace()
    suggestions = suggested_installs()
    assert ("docs/a2a.md", "agenthost-a2a[grpc]") in suggestions  # the scan finds them
    for where, token in suggestions:
        requirement = Requirement(token)
        assert requirement.name in members, f"{where}: `pip install {token}`: no such distribution"
        unknown = requirement.extras - members[requirement.name]
        assert not unknown, f"{where}: `pip install {token}`: no extra {sorted(unknown)}"


def test_install_hints_name_the_distribution_that_registers_the_component(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The hint table is exactly what the workspace's installed distributions register."""
    from agenthost.distributions import PROVIDERS
    from agenthost.plugins import Plugins

    monkeypatch.delenv("AGENTHOST_LOAD_PLUGINS")  # every installed plugin, this once
    plugins = Plugins()
    assert plugins.failed == {}
    dists = {info.name: info.distribution for info in plugins.info()}
    registered = {
        (kind, name): dists[component.plugin]
        for kind, components in plugins.components.items()
        for name, component in components.items()
        if dists[component.plugin] != "agenthost"
    }
    assert registered == PROVIDERS
    assert set(PROVIDERS.values()) <= set(workspace())


def test_a_hint_for_a_distribution_not_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agenthost import distributions

    monkeypatch.setitem(distributions.PROVIDERS, ("frontend", "x"), "agenthost-not-installed")
    assert distributions.install_hint("frontend", "x") == (
        "install the distribution that provides it: `pip install agenthost-not-installed`"
    )
