import json
import os
import subprocess
import sys
import types
import uuid
from pathlib import Path

import pytest

from agenthost import hookimpl
from agenthost.errors import PluginError
from agenthost.plugins import Plugins


def test_builtin_components_register_through_the_hooks() -> None:
    plugins = Plugins()
    assert "python" in plugins.names("adapter")
    assert "native" in plugins.names("frontend")
    assert {"memory", "sqlite"} <= set(plugins.names("store"))
    assert "local" in plugins.names("sandbox_backend")


def test_components_are_imported_only_on_use() -> None:
    plugins = Plugins()
    component = plugins.get("store", "sqlite")
    assert isinstance(component.target, str)  # registered lazily, as "module:Class"
    cls = component.load()
    assert cls.name == "sqlite"


def test_unknown_component_names_what_is_installed() -> None:
    with pytest.raises(PluginError, match=r"installed: .*python"):
        Plugins().get("adapter", "nonexistent")


def test_block_list_removes_a_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTHOST_DISABLE_PLUGINS", "native")
    assert "native" not in Plugins().names("frontend")


def test_allow_list_keeps_only_named_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTHOST_LOAD_PLUGINS", raising=False)
    everything = Plugins()
    installed = [p.name for p in everything.info() if not p.builtin]
    monkeypatch.setenv("AGENTHOST_LOAD_PLUGINS", "")
    narrowed = Plugins()
    assert [p.name for p in narrowed.info() if not p.builtin] == []
    assert "python" in narrowed.names("adapter")  # built-ins always load
    if installed:
        monkeypatch.setenv("AGENTHOST_LOAD_PLUGINS", installed[0])
        assert [p.name for p in Plugins().info() if not p.builtin] == [installed[0]]


def test_misspelt_hook_fails_loudly() -> None:
    plugin = types.ModuleType("bad_plugin")

    @hookimpl
    def register_adaptors(register):  # type: ignore[no-untyped-def]  # misspelt on purpose
        pass

    plugin.register_adaptors = register_adaptors  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="unknown hook"):
        Plugins().register_plugin(plugin, "bad")


def test_in_process_plugin_registers_an_adapter() -> None:
    plugin = types.ModuleType("good_plugin")
    sys.modules["good_plugin"] = plugin

    @hookimpl
    def register_adapters(register):  # type: ignore[no-untyped-def]
        register("custom", "agenthost.builtin.python_adapter:PythonAdapter")

    plugin.register_adapters = register_adapters  # type: ignore[attr-defined]
    plugins = Plugins()
    plugins.register_plugin(plugin, "good")
    assert plugins.get("adapter", "custom").plugin == "good"


# --------------------------------------------------------------------------- broken plugins
# Each is a real installed distribution: a dist-info folder with METADATA and an entry point
# in the group ``agenthost`` on the path, exactly what ``pip install`` leaves behind.

GOOD_PLUGIN = """
from agenthost import hookimpl

@hookimpl
def register_adapters(register):
    register("tiny", "agenthost.builtin.python_adapter:PythonAdapter")
"""
MISSPELT_HOOK = """
from agenthost import hookimpl

@hookimpl
def register_adapter(register):
    register("tiny", "agenthost.builtin.python_adapter:PythonAdapter")
"""
IMPORT_ERROR = "import tinyframework_that_is_not_installed\n"
RAISING_HOOK = """
from agenthost import hookimpl

@hookimpl
def register_adapters(register):
    raise RuntimeError("tiny broke while registering")
"""


def install(site: Path, dist: str, ep_name: str, source: str) -> None:
    """Install a one-module plugin distribution ``dist`` into the folder ``site``."""
    module = f"{dist.replace('-', '_')}_{uuid.uuid4().hex[:8]}"  # fresh: never in sys.modules
    (site / f"{module}.py").write_text(source)
    info = site / f"{dist.replace('-', '_')}-0.3.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3.0\n")
    (info / "entry_points.txt").write_text(f"[agenthost]\n{ep_name} = {module}\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delenv("AGENTHOST_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("AGENTHOST_DISABLE_PLUGINS", raising=False)
    return folder


def test_a_misspelt_hook_skips_that_plugin_and_names_its_distribution(site: Path) -> None:
    install(site, "agenthost-tiny", "tiny", MISSPELT_HOOK)
    install(site, "agenthost-other", "other", GOOD_PLUGIN.replace("tiny", "other"))
    plugins = Plugins()
    failure = plugins.failures["tiny"]
    assert (failure.distribution, failure.version) == ("agenthost-tiny", "0.3.0")
    report = str(failure)
    assert "'register_adapter', which is not an agenthost hook" in report
    assert "did you mean 'register_adapters'?" in report
    assert "pip uninstall agenthost-tiny" in report
    assert "AGENTHOST_DISABLE_PLUGINS=tiny" in report
    assert "tiny" not in plugins.names("adapter")
    assert plugins.get("adapter", "other").plugin == "other"  # the others still load
    assert "python" in plugins.names("adapter")
    assert "tiny" not in [p.name for p in plugins.info()]


def test_an_import_error_skips_that_plugin(site: Path) -> None:
    install(site, "agenthost-tiny", "tiny", IMPORT_ERROR)
    plugins = Plugins()
    report = str(plugins.failures["tiny"])
    assert "(agenthost-tiny 0.3.0)" in report
    assert "ModuleNotFoundError: No module named 'tinyframework_that_is_not_installed'" in report
    assert "native" in plugins.names("frontend")


def test_a_hook_that_raises_skips_that_plugin(site: Path) -> None:
    install(site, "agenthost-tiny", "tiny", RAISING_HOOK)
    plugins = Plugins()
    assert "register_adapters hook raised RuntimeError: tiny broke while registering" in str(
        plugins.failures["tiny"]
    )
    assert "tiny" not in [p.name for p in plugins.info()]


def test_a_typo_of_an_installed_component_suggests_it(site: Path) -> None:
    install(site, "agenthost-tiny", "tiny", GOOD_PLUGIN)
    typo = r"no adapter named 'tyni' is installed \(did you mean 'tiny'\?\) \(installed: "
    with pytest.raises(PluginError, match=typo):
        Plugins().get("adapter", "tyni")


def test_every_command_works_next_to_a_broken_plugin(tmp_path: Path) -> None:
    """``plugins``, ``check`` and ``serve`` in real processes with a plugin whose hook is
    misspelt installed: each reports it by distribution and does its job."""
    site = tmp_path / "site"
    site.mkdir()
    install(site, "agenthost-tiny", "tiny", MISSPELT_HOOK)
    path = os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    env["AGENTHOST_LOAD_PLUGINS"] = "tiny"  # only this one of whatever else is installed

    def agenthost(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "agenthost.cli", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, env=env)

    listed = agenthost("plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    tiny = next(p for p in json.loads(listed.stdout) if p["name"] == "tiny")
    assert (tiny["distribution"], tiny["version"]) == ("agenthost-tiny", "0.3.0")
    assert "did you mean 'register_adapters'?" in tiny["error"]
    assert "Traceback" not in listed.stderr

    (tmp_path / "agenthost.toml").write_text(
        '[agents.demo]\ntarget = "agenthost.builtin.demo:demo"\n[frontends.native]\n'
    )
    checked = agenthost("check")
    assert checked.returncode == 1
    assert "plugin 'tiny' (agenthost-tiny 0.3.0) was skipped" in checked.stderr
    assert "1 problem(s)" in checked.stderr

    server = subprocess.Popen(
        [sys.executable, "-m", "agenthost.cli", "serve", "--port", "0"], cwd=tmp_path, env=env,
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )
    try:
        assert server.stderr is not None
        seen = []
        for line in server.stderr:  # bounded by the test timeout; the server logs each step
            seen.append(line)
            if "Uvicorn running on" in line:
                break
        log = "".join(seen)
        assert "Uvicorn running on" in log, log
        assert "plugin 'tiny' (agenthost-tiny 0.3.0) was skipped" in log
    finally:
        server.terminate()
        server.wait(30)
