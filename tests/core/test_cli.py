"""The ``agenthost`` command as a user runs it: real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agenthost.sandbox.bwrap import BWRAP_ENV

from ..sandbox.conftest import require_bwrap

ROOT = Path(__file__).resolve().parents[2]
# Points the local sandbox backend at a bwrap that does not exist: a machine without it.
NO_BWRAP = {**os.environ, BWRAP_ENV: "/nonexistent/agenthost-test/bwrap"}
FENCED = "```python\n6 * 7\n```"


def agenthost(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agenthost.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, env=env or dict(os.environ))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(proc: subprocess.Popen[str], url: str) -> None:
    """Read the server's log until uvicorn says it is up (no sleeps)."""
    assert proc.stderr is not None
    for line in proc.stderr:
        if "Uvicorn running on" in line:
            return
    raise AssertionError(f"server exited with {proc.wait()} before it was ready at {url}")


@pytest.fixture
def serve() -> Iterator[object]:
    procs: list[subprocess.Popen[str]] = []
    served: dict[str, int] = {}  # url -> pid of the server process

    def start(*args: str, env: dict[str, str] | None = None) -> str:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "agenthost.cli", "serve", *args, "--port", str(port)],
            cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env,
        )
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_ready(proc, url)
        served[url] = proc.pid
        return url

    start.pid = served  # type: ignore[attr-defined]

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(30)


def test_serve_embedded_default_streams_the_demo(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve()
    assert [a["name"] for a in httpx.get(f"{url}/agents").json()["agents"]] == ["demo"]
    with httpx.stream("POST", f"{url}/agents/demo/runs", json={"input": "hi"}, timeout=30) as r:
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    deltas = [e["text"] for e in events if e["type"] == "message.delta"]
    assert len(deltas) > 10  # token by token
    assert "agenthost demo agent" in "".join(deltas)
    assert events[-1]["type"] == "run.completed"


def test_serve_module_attr_names_the_agent_after_the_attribute(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve("tests.core.agents:echo")
    assert [a["name"] for a in httpx.get(f"{url}/agents").json()["agents"]] == ["echo"]
    url = serve("tests/core/agents.py:sync_upper", "--name", "shout")
    body = httpx.post(f"{url}/agents/shout/runs", json={"input": "hey", "stream": False},
                      timeout=30).json()
    assert body["run"]["output"][0]["parts"][0]["text"] == "HEY"


def sse(url: str, agent: str, text: str, session: str = "s1") -> list[dict[str, object]]:
    body = {"input": text, "session_id": session}
    with httpx.stream("POST", f"{url}/agents/{agent}/runs", json=body, timeout=60) as r:
        return [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]


def descendants(pid: int) -> list[str]:
    """Command lines of every process under ``pid``."""
    parents: dict[int, int] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = [], {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        for child in frontier:
            try:
                found.append(Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace"))
            except OSError:
                continue
    return found


def test_embedded_demo_without_bwrap_chats_and_says_why_it_cannot_run_code(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(env=NO_BWRAP)
    events = sse(url, "demo", f"run this\n{FENCED}")
    [result] = [e for e in events if e["type"] == "tool.result"]
    assert result["is_error"] is True
    output = str(result["output"])
    assert "sandbox profile 'default' ([sandboxes.default]) cannot start" in output
    for fix in ("apt-get install bubblewrap", 'backend = "docker"', 'isolation = "none"'):
        assert fix in output
    text = "".join(str(e["text"]) for e in events if e["type"] == "message.delta")
    assert text.startswith("I cannot run code here, so I did not run it.")
    assert events[-1]["type"] == "run.completed"
    # The embedded default's sandbox is optional: the host serves, and says what is missing.
    ready = httpx.get(f"{url}/readyz", timeout=30)
    assert ready.status_code == 200 and ready.json()["status"] == "degraded"
    assert "bwrap is not installed" in ready.json()["reasons"][0]


def test_serve_spawns_no_executor_for_an_agent_that_never_uses_one(serve) -> None:  # type: ignore[no-untyped-def]
    require_bwrap()
    url = serve("tests.core.agents:echo")
    assert sse(url, "echo", "one two")[-1]["type"] == "run.completed"
    assert descendants(serve.pid[url]) == []
    # The control: an agent that runs code does start an executor under the same server.
    demo = serve()
    results = [e["output"] for e in sse(demo, "demo", FENCED) if e["type"] == "tool.result"]
    assert results == ["42"]
    assert any("executor" in cmd for cmd in descendants(serve.pid[demo]))


def test_run_starts_a_sandbox_only_for_an_agent_that_uses_one() -> None:
    require_bwrap()
    plain = agenthost("run", "tests.core.agents:echo", "one two")
    assert plain.returncode == 0, plain.stderr
    assert "sandbox profile" not in plain.stderr
    coded = agenthost("run", "demo", FENCED)
    assert coded.returncode == 0, coded.stderr
    assert "[tool.result] 42" in coded.stdout
    assert "sandbox profile 'default' started: backend local; bubblewrap" in coded.stderr


def test_run_streams_to_the_terminal() -> None:
    result = agenthost("run", "tests.core.agents:echo", "one two three")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "one two three"


def test_run_reports_a_failed_agent() -> None:
    result = agenthost("run", "tests.core.agents:boom", "x")
    assert result.returncode == 1
    assert "[run.failed ValueError] the agent broke on purpose" in result.stderr


def test_init_writes_a_config_that_checks(tmp_path: Path) -> None:
    assert agenthost("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "agenthost.toml").exists()
    assert agenthost("init", cwd=tmp_path).returncode == 1  # never overwrites silently
    result = agenthost("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_plugins_lists_components_and_options() -> None:
    report = json.loads(agenthost("plugins", "--json").stdout)
    native = next(p for p in report if p["name"] == "native")
    assert native["distribution"] == "agenthost"
    components = {(c["kind"], c["name"]): c for c in native["components"]}
    assert components[("store", "sqlite")]["options"]["path"]["default"] == "agenthost.db"
    assert ("frontend", "native") in components
    assert "register_adapters" in native["hooks"]


def test_errors_are_one_clear_line_not_a_traceback() -> None:
    result = agenthost("serve", "no_such_module_xyz:agent")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "no_such_module_xyz" in result.stderr


# --------------------------------------------------------------------------- check: targets

TINY_FRAMEWORK = '''
class TinyAgent:
    def __init__(self, reply):
        self.reply = reply

agent = TinyAgent("hello from tiny")
settings = {"not": "an agent"}
'''
TINY_PLUGIN = '''
from agenthost import hookimpl

@hookimpl
def register_adapters(register):
    register("tiny", "tiny_adapter:TinyAdapter", detect_modules=("tinyfw",))
'''
TINY_ADAPTER = '''
from agenthost import Adapter

class TinyAdapter(Adapter):
    name = "tiny"

    @classmethod
    def detects(cls, obj):
        return type(obj).__name__ == "TinyAgent"

    async def run(self, input, ctx):
        {body}
'''


def tiny_site(tmp_path: Path, run_body: str) -> dict[str, str]:
    """Install ``agenthost-tiny`` (a dist-info and its modules) into a folder; the env that
    puts it on the path, with only it of the installed plugins loading."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "tiny_plugin.py").write_text(TINY_PLUGIN)
    (site / "tiny_adapter.py").write_text(TINY_ADAPTER.format(body=run_body))
    info = site / "agenthost_tiny-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: agenthost-tiny\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[agenthost]\ntiny = tiny_plugin\n")
    return {**os.environ, "PYTHONPATH": str(site), "AGENTHOST_LOAD_PLUGINS": "tiny"}


def project(tmp_path: Path, agents: str) -> Path:
    """A project folder with the framework module and a config naming its agents."""
    folder = tmp_path / "project"
    folder.mkdir(parents=True)
    (folder / "tinyfw.py").write_text(TINY_FRAMEWORK)
    (folder / "agenthost.toml").write_text(agents)
    return folder / "agenthost.toml"


def test_check_says_run_must_be_an_async_generator(tmp_path: Path) -> None:
    env = tiny_site(tmp_path, "return self.target.reply")
    config = project(tmp_path, '[agents.named]\ntarget = "tinyfw:agent"\nadapter = "tiny"\n'
                               '[agents.detected]\ntarget = "tinyfw:agent"\n')
    result = agenthost("check", str(config), cwd=tmp_path, env=env)  # from another folder
    assert result.returncode == 1
    err = result.stderr
    why = "tiny_adapter.TinyAdapter.run must be an async generator: it is `async def run(...)` " \
        "without `yield`"
    assert f"{config}: agents.named.adapter: adapter 'tiny' of plugin 'tiny' cannot be " \
        f"imported: {why}" in err
    assert f"{config}: agents.detected.target: adapter 'tiny' of plugin 'tiny' cannot be " \
        f"imported: {why}" in err
    assert "2 problem(s)" in err


def test_targets_resolve_from_the_config_files_folder(tmp_path: Path) -> None:
    """``check`` and ``run`` (which builds the host as ``serve`` does) from another folder."""
    env = tiny_site(tmp_path, "yield self.target.reply")
    config = project(tmp_path, '[agents.tiny]\ntarget = "tinyfw:agent"\n'
                               '[agents.file]\ntarget = "tinyfw.py:agent"\n')
    checked = agenthost("check", str(config), cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stderr
    for agent in ("tiny", "file"):
        ran = agenthost("run", agent, "hi", "--config", str(config), cwd=tmp_path, env=env)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.strip() == "hello from tiny"
    missing = project(tmp_path / "other", '[agents.a]\ntarget = "nowhere_xyz:agent"\n')
    err = agenthost("check", str(missing), cwd=tmp_path, env=env).stderr
    assert f"No module named 'nowhere_xyz' (looked in {missing.parent} first" in err


def test_check_builds_the_adapter_on_the_target(tmp_path: Path) -> None:
    env = tiny_site(tmp_path, "yield self.target.reply")
    config = project(tmp_path, '[agents.a]\ntarget = "tinyfw:settings"\nadapter = "python"\n')
    err = agenthost("check", str(config), cwd=tmp_path, env=env).stderr
    assert f"{config}: agents.a.adapter: adapter 'python' does not accept builtins.dict: " \
        "TypeError:" in err


def test_check_suggests_a_close_adapter_name_on_the_adapter_key(tmp_path: Path) -> None:
    env = tiny_site(tmp_path, "yield self.target.reply")
    config = project(tmp_path, '[agents.a]\ntarget = "tinyfw:agent"\nadapter = "tyni"\n')
    err = agenthost("check", str(config), cwd=tmp_path, env=env).stderr
    assert f"{config}: agents.a.adapter: no adapter named 'tyni' is installed (did you mean " \
        "'tiny'?) (installed: python, tiny)" in err
    assert "pip install" not in err
