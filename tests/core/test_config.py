import importlib.metadata as md
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agenthost.config import check_config, load_config, parse_config
from agenthost.errors import ConfigError
from agenthost.host import Host
from agenthost.plugins import Plugins


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agenthost.toml"
    path.write_text(text)
    return path


def check(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AGENTHOST_LOAD_PLUGINS": ""}  # core alone: built-ins only
    return subprocess.run([sys.executable, "-m", "agenthost.cli", "check", str(path)],
                          capture_output=True, text=True, timeout=60, env=env)


def test_unknown_key_is_named_with_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[host]\nlisten = "127.0.0.1:1"\nlistne = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.problems == [f"{path}: host.listne: unknown key"]


def test_inline_secret_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"host.api_keys.*env"):
        parse_config({"host": {"api_keys": ["sk-inline"]}})


def test_missing_secret_env_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENTHOST_TEST_KEY", raising=False)
    config = parse_config({"host": {"api_keys": [{"env": "AGENTHOST_TEST_KEY"}]}}, "c.toml")
    assert check_config(config, Plugins(load_entry_points=False)) == [
        "c.toml: host.api_keys: environment variable 'AGENTHOST_TEST_KEY' is not set"
    ]


def test_component_options_are_validated() -> None:
    config = parse_config({"store": {"backend": "sqlite", "pth": "x.db"}}, "c.toml")
    problems = check_config(config, Plugins(load_entry_points=False))
    assert problems == ["c.toml: store.pth: unknown key"]


def test_missing_plugin_and_unservable_version_and_pins(tmp_path: Path) -> None:
    path = write(tmp_path, """
[host]
requires = ["agenthost>=99", "agenthost-nonexistent>=1"]

[agents.a]
target = "tests.core.agents:echo"
adapter = "crewai"

[frontends.native]
versions = ["7"]

[frontends.carrier-pigeon]
""")
    result = check(path)
    assert result.returncode == 1
    err = result.stderr
    assert f"{path}: host.requires: 'agenthost>=99': installed agenthost is" in err
    assert "agenthost-nonexistent is not installed" in err
    assert f"{path}: agents.a.adapter: no adapter named 'crewai'" in err
    assert f"{path}: frontends.native.versions: version '7' cannot be served" in err
    assert f"{path}: frontends.carrier-pigeon: no frontend named 'carrier-pigeon'" in err
    assert "5 problem(s)" in err


def test_check_lists_structure_and_component_problems_together(tmp_path: Path) -> None:
    path = write(tmp_path, """
[host]
listne = "127.0.0.1:1"
requires = ["agenthost>=99"]

[agents.a]
target = "no_such_module_xyz:agent"
adapter = "crewai"
colour = "blue"

[agents.b]
adapter = "python"

[frontends.native]
versions = ["7"]

[sandboxes.box]
backend = "firecracker"

[store]
backend = "sqlite"
pth = "x.db"
""")
    result = check(path)
    assert result.returncode == 1
    problems = result.stderr.splitlines()
    assert problems == [
        f"{path}: host.listne: unknown key",
        f"{path}: agents.a.colour: unknown key",
        f"{path}: agents.b.target: Field required",
        f"{path}: host.requires: 'agenthost>=99': installed agenthost is {md.version('agenthost')}",
        f"{path}: agents.a.adapter: no adapter named 'crewai' is installed (installed: python); "
        "no distribution of this project provides it; `agenthost plugins` lists what is "
        "installed, and a third-party plugin that registers 'crewai' must be installed",
        f"{path}: frontends.native.versions: version '7' cannot be served by this plugin "
        "(servable: 1)",
        f"{path}: sandboxes.box.backend: no sandbox backend named 'firecracker' is installed "
        "(installed: local); no distribution of this project provides it; `agenthost plugins` "
        "lists what is installed, and a third-party plugin that registers 'firecracker' must "
        "be installed",
        f"{path}: store.pth: unknown key",
        f"{path}: agents.a.target: cannot import 'no_such_module_xyz:agent': "
        "ModuleNotFoundError: No module named 'no_such_module_xyz' "
        f"(looked in {tmp_path} first, then the current directory and installed packages)",
        f"9 problem(s) in {path}",
    ]


def test_install_hints_name_the_distribution_that_ships_the_component(tmp_path: Path) -> None:
    path = write(tmp_path, "[frontends.chat]\n[sandboxes.ship]\nbackend = \"docker\"\n")
    err = check(path).stderr  # core alone: the workspace's plugins are installed, not loaded
    assert "agenthost-chat" not in err
    assert (
        "no frontend named 'chat' is installed (installed: native, ui); agenthost-openai 0.1.0 "
        "provides it and is installed but its plugin is not loaded: check "
        "AGENTHOST_LOAD_PLUGINS / AGENTHOST_DISABLE_PLUGINS"
    ) in err
    docker = "no sandbox backend named 'docker' is installed (installed: local); agenthost-docker"
    assert docker in err


def test_check_reports_an_unimportable_target(tmp_path: Path) -> None:
    path = write(tmp_path, '[agents.a]\ntarget = "no_such_module_xyz:agent"\n')
    result = check(path)
    assert result.returncode == 1
    assert "agents.a.target: cannot import 'no_such_module_xyz:agent'" in result.stderr


def test_valid_config_passes_check(tmp_path: Path) -> None:
    path = write(tmp_path, """
[host]
requires = ["agenthost>=0.1"]
[agents.echo]
target = "tests.core.agents:echo"
[frontends.native]
versions = ["1"]
[store]
backend = "sqlite"
path = "x.db"
""")
    result = check(path)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


def test_host_refuses_to_start_on_a_bad_config() -> None:
    with pytest.raises(ConfigError, match="no store named 'redis"):
        Host(parse_config({"store": {"backend": "redis"}}))


def test_public_listen_without_keys_is_refused() -> None:
    host = Host(parse_config({"host": {"listen": "0.0.0.0:8000"}}))
    with pytest.raises(ConfigError, match=r"refusing to listen on 0\.0\.0\.0"):
        host.check_listen("0.0.0.0")
    host.check_listen("127.0.0.1")
