"""The adapter plugin template as an outside author uses it: copied out of this repository,
built as a wheel, installed into a fresh virtual environment with ``agenthost[testing]`` (the
core built as a wheel the same way), and its own tests run there with plain ``pytest``.

Installs come from local wheels and uv's cache (``--offline``); a machine with an empty cache
falls back to the package index. Bounded: every step has a timeout, ~10 s in all here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "plugins" / "example-adapter"
DOCUMENTED = ["pip install -e . 'agenthost[testing]'", "pytest"]


def sh(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None,
       timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def clean_env() -> dict[str, str]:
    """The environment of a shell outside this workspace: no venv, path or plugin switches."""
    drop = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("AGENTHOST_")}


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.fail("uv is not on PATH: this workspace is built with uv (https://docs.astral.sh/uv)")
    return found


def test_the_documented_commands_are_the_ones_this_test_mirrors() -> None:
    for page in (ROOT / "docs" / "writing-adapters.md", TEMPLATE / "README.md"):
        text = page.read_text()
        for command in DOCUMENTED:
            assert f"\n{command}\n" in text, f"{page.name} does not show `{command}`"


def test_the_template_builds_installs_and_passes_its_own_kit_tests(tmp_path: Path) -> None:
    plugin = tmp_path / "agenthost-example-adapter"
    shutil.copytree(TEMPLATE, plugin, ignore=shutil.ignore_patterns(
        "__pycache__", "*.egg-info", ".pytest_cache", "dist", "build"))
    assert (plugin / "tests" / "test_adapter.py").is_file(), "the template ships no tests"

    dist = tmp_path / "dist"
    for project in (ROOT / "core", plugin):  # what `pip install` would build from each
        built = sh(uv(), "build", "--offline", "--wheel", "--out-dir", dist, project,
                   env=clean_env(), timeout=60)
        assert built.returncode == 0, f"building {project.name}: {built.stderr}"
    (core_wheel,) = dist.glob("agenthost-*.whl")
    (plugin_wheel,) = dist.glob("agenthost_example_adapter-*.whl")

    venv = tmp_path / "venv"
    made = sh(sys.executable, "-m", "venv", "--without-pip", venv, timeout=60)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    wanted = [f"agenthost[testing] @ {core_wheel.as_uri()}", str(plugin_wheel)]
    install = [uv(), "pip", "install", "--python", python, *wanted]
    installed = sh(*install[:3], "--offline", *install[3:], env=clean_env(), timeout=60)
    if installed.returncode != 0:  # uv's cache lacks something: the index has it
        installed = sh(*install, env=clean_env(), timeout=60)
    assert installed.returncode == 0, installed.stderr

    where = sh(python, "-c", "import agenthost, agenthost_example_adapter as p; "
               "print(agenthost.__file__); print(p.__file__)", cwd=plugin, env=clean_env())
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(venv)) for line in where.stdout.split()), where.stdout

    listed = sh(venv / "bin" / "agenthost", "plugins", "--json", cwd=plugin, env=clean_env())
    assert listed.returncode == 0, listed.stderr
    example = next(p for p in json.loads(listed.stdout) if p["name"] == "example")
    assert (example["distribution"], example["version"]) == ("agenthost-example-adapter", "0.1.0")

    tested = sh(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=plugin,
                env=clean_env(), timeout=90)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "10 passed" in tested.stdout, tested.stdout
