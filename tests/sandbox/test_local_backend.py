"""What only the ``local`` backend does: host-side kills reach every process, the sandbox dies
with its host, host secrets stay out, it fails closed without bubblewrap and states plainly
when a profile opted out of isolation, options are validated."""

from __future__ import annotations

import ast
import asyncio
import logging
import os
import select
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agenthost.config import check_config, parse_config
from agenthost.plugins import Plugins
from agenthost.sandbox.bwrap import probe_bwrap
from agenthost.sandbox.errors import SandboxStartError, SandboxTimeout
from agenthost.sandbox.local import LocalBackend
from agenthost.sandbox.manager import SandboxManager
from agenthost.sandbox.results import OutputChunk

from .conftest import NO_BWRAP, unisolated

AGENTHOST = [sys.executable, "-m", "agenthost.cli"]
# The local backend is built in: the CLI tests load no installed plugin (importing every
# framework would cost them most of a minute).
CORE_ONLY = {**os.environ, "AGENTHOST_LOAD_PLUGINS": ""}


@pytest.fixture
async def manager_for() -> AsyncIterator[object]:
    managers: list[SandboxManager] = []

    def make(**table: object) -> SandboxManager:
        base = unisolated() if table.pop("isolation", None) == "none" else {"backend": "local"}
        manager = SandboxManager({"p": {**base, "pool": 0, **table}}, Plugins())
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        await manager.close()


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(entry))
    return found


async def until_gone(marker: str) -> list[int]:
    """Wait (bounded) for processes to disappear; returns the survivors."""
    for _ in range(500):
        left = processes_with(marker)
        if not left:
            return []
        await asyncio.sleep(0.01)  # polling a condition, bounded by the loop
    return processes_with(marker)


async def until_present(marker: str) -> list[int]:
    """Wait (bounded) for a process to show up: a backgrounded child may not have exec'd yet."""
    for _ in range(500):
        found = processes_with(marker)
        if found:
            return found
        await asyncio.sleep(0.01)  # polling a condition, bounded by the loop
    return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
    except OSError:
        return False
    return state != "Z"


# --------------------------------------------------------------------------- host-side kills


# Seconds the call may run: far more than starting two processes takes, so the gate below
# (the children exist) is always reached before the host's timeout kills the call.
CALL_TIMEOUT = 3


@pytest.mark.parametrize("mode", ["bwrap", "none"])
async def test_timeout_kills_everything_the_call_started(
    mode: str, manager_for: object, request: pytest.FixtureRequest
) -> None:
    if mode == "bwrap":
        request.getfixturevalue("bwrap_works")
    sandbox = await manager_for(isolation=mode).create("p")  # type: ignore[operator]
    marker = f"{uuid.uuid4().int % 10**9 + 10**9}"
    # The gate: the call says "started" only once all three processes run (sleep, sh and the
    # sleep under sh), so the kill below is tested against processes that really existed.
    code = (
        "import os, subprocess, time\n"
        f"subprocess.Popen(['sleep', '{marker}'])\n"
        f"subprocess.Popen(['sh', '-c', 'sleep {marker}; true'])\n"
        "def running():\n"
        "    n = 0\n"
        "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "        try:\n"
        f"            n += b'{marker}' in open(f'/proc/{{pid}}/cmdline', 'rb').read()\n"
        "        except OSError:\n"
        "            pass\n"
        "    return n\n"
        "while running() < 3:\n"
        "    time.sleep(0.01)\n"
        "print('started', flush=True)\n"
        "while True:\n"
        "    pass"
    )
    started = []
    with pytest.raises(SandboxTimeout):
        async for item in sandbox.stream_python(code, timeout=CALL_TIMEOUT):
            if isinstance(item, OutputChunk) and "started" in item.text:
                started = processes_with(marker)
    assert len(started) == 3, "the call's children were not all running before the timeout"
    assert await until_gone(marker) == []


async def test_under_bwrap_even_a_detached_process_dies_with_the_sandbox(
    bwrap_works: None, manager_for: object
) -> None:
    sandbox = await manager_for().create("p")  # type: ignore[operator]
    marker = f"{uuid.uuid4().int % 10**9 + 10**9}"
    started = await sandbox.run_shell(f"setsid nohup sleep {marker} >/dev/null 2>&1 & echo ok")
    assert started.stdout == "ok\n"
    assert await until_present(marker)  # it escaped the call, and still runs
    await sandbox.close()
    assert await until_gone(marker) == []


async def test_close_kills_every_executor_warm_ones_included(bwrap_works: None) -> None:
    manager = SandboxManager({"p": {"backend": "local", "pool": 2}}, Plugins())
    await manager.start(["p"])
    sandbox = await manager.for_session("p", "s1")
    pids = [sandbox.info()["backend"]["pid"]]
    assert manager.describe()["p"]["live"] >= 2
    await manager.close()
    assert not any(alive(pid) for pid in pids)
    assert manager.describe()["p"]["live"] == 0


@pytest.mark.parametrize("mode", ["bwrap", "none"])
def test_sandboxes_die_with_their_host(
    mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if mode == "bwrap":
        request.getfixturevalue("bwrap_works")
    table = unisolated(pool=0) if mode == "none" else {"backend": "local", "pool": 0}
    marker = f"{uuid.uuid4().int % 10**9 + 10**9}"
    script = tmp_path / "host.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import asyncio, sys
            from agenthost.plugins import Plugins
            from agenthost.sandbox.manager import SandboxManager

            async def main():
                table = {table!r}
                manager = SandboxManager({{"p": table}}, Plugins())
                sandbox = await manager.create("p")
                await sandbox.run_shell("sleep {marker} >/dev/null 2>&1 &")
                print("ready", flush=True)
                await asyncio.Event().wait()

            asyncio.run(main())
            """
        )
    )
    host = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert host.stdout is not None
        ready, _, _ = select.select([host.stdout], [], [], 60)  # bounded: never hang the suite
        assert ready and host.stdout.readline() == "ready\n"
        assert processes_with(marker)
        host.send_signal(signal.SIGKILL)  # no cleanup code runs in the host
        host.wait(30)
        assert asyncio.run(until_gone(marker)) == []
    finally:
        if host.poll() is None:
            host.kill()
            host.wait(30)


# --------------------------------------------------------------------------- what is inside


@pytest.mark.parametrize("mode", ["bwrap", "none"])
async def test_host_environment_and_secrets_stay_out(
    mode: str, manager_for: object, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if mode == "bwrap":
        request.getfixturevalue("bwrap_works")
    monkeypatch.setenv("AGENTHOST_TEST_SECRET", "sk-do-not-leak")
    sandbox = await manager_for(isolation=mode, env={"VISIBLE": "yes"}).create("p")  # type: ignore[operator]
    result = await sandbox.run_python(
        "import os\n(os.environ.get('AGENTHOST_TEST_SECRET'), os.environ.get('VISIBLE'),"
        " sorted(k for k in os.environ if k.startswith('AGENTHOST')))"
    )
    assert result.value == "(None, 'yes', [])"
    # Nor through /proc: not the parent's environment, nor any process's the sandbox can see.
    scan = await sandbox.run_python(
        "import os\n"
        "def environ(pid):\n"
        "    try:\n"
        "        return open(f'/proc/{pid}/environ', 'rb').read()\n"
        "    except OSError:\n"
        "        return b''\n"
        "parent = environ(os.getppid())\n"
        "leaks = [p for p in filter(str.isdigit, os.listdir('/proc')) if b'sk-do-not-leak' in "
        "environ(p)]\n"
        "(b'PATH=' in parent or parent == b'', leaks)"
    )
    assert scan.value == "(True, [])", scan.text()


async def test_unisolated_parent_is_a_launcher_holding_no_secrets(
    manager_for: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTHOST_TEST_SECRET", "sk-do-not-leak")
    sandbox = await manager_for(isolation="none").create("p")  # type: ignore[operator]
    result = await sandbox.run_python(
        "import os\nppid = os.getppid()\n"
        "try:\n    environ = open(f'/proc/{ppid}/environ', 'rb').read()\n"
        "except PermissionError:\n    environ = b''\n"
        "(ppid, b'sk-do-not-leak' in environ, open(f'/proc/{ppid}/cmdline', 'rb').read(), "
        "os.getuid())"
    )
    assert result.value is not None, result.text()
    parent, leaked, cmdline, uid = ast.literal_eval(result.value)
    assert parent != os.getpid() and b"executor" in cmdline  # the launcher, not the host
    assert not leaked  # its environment is the sandbox's own, clean one (or unreadable)
    assert os.geteuid() != 0 or uid != 0  # a root host never hands root to the sandbox


async def test_bwrap_sandbox_has_its_own_uid_and_process_table(
    bwrap_works: None, manager_for: object
) -> None:
    sandbox = await manager_for().create("p")  # type: ignore[operator]
    result = await sandbox.run_python(
        "import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "(os.getuid() == 0, len(pids) < 10, os.getcwd())"
    )
    assert result.value == "(False, True, '/workspace')"
    assert sandbox.info()["backend"]["isolation"] == "bwrap"


async def test_nested_user_namespaces_are_refused_under_bwrap(
    bwrap_works: None, manager_for: object
) -> None:
    sandbox = await manager_for().create("p")  # type: ignore[operator]
    result = await sandbox.run_shell("unshare --user true; echo unshare=$?")
    assert result.stdout == "unshare=1\n", result.text()
    assert sandbox.info()["backend"]["nested_user_namespaces"] == "refused"
    threads = await sandbox.run_python(  # clone3 is refused with ENOSYS: libc falls back
        "import threading\nt = threading.Thread(target=print, args=('thread ok',))\n"
        "t.start()\nt.join()"
    )
    assert threads.stdout == "thread ok\n"


async def test_cells_run_in_main_so_pickle_and_multiprocessing_work(
    bwrap_works: None, manager_for: object
) -> None:
    sandbox = await manager_for().create("p")  # type: ignore[operator]
    await sandbox.run_python("class Point:\n    def __init__(self, x):\n        self.x = x")
    result = await sandbox.run_python(
        "import pickle, multiprocessing\n"
        "def square(n):\n    return n * n\n"
        "with multiprocessing.get_context('fork').Pool(2) as pool:\n"
        "    squares = pool.map(square, [1, 2, 3])\n"
        "(pickle.loads(pickle.dumps(Point(7))).x, squares)"
    )
    assert result.value == "(7, [1, 4, 9])", result.text()


async def test_matplotlib_style_figures_need_no_display(
    bwrap_works: None, manager_for: object
) -> None:
    sandbox = await manager_for().create("p")  # type: ignore[operator]
    result = await sandbox.run_python("import os\nos.environ['MPLBACKEND']")
    assert result.value == "'Agg'"  # so pyplot never looks for a display


# --------------------------------------------------------------------------- stating isolation


def test_isolation_is_stated_in_agenthost_plugins(bwrap_works: None) -> None:
    out = subprocess.run(
        [*AGENTHOST, "plugins"], capture_output=True, text=True, env=CORE_ONLY, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "    isolation: bubblewrap (bubblewrap " in out.stdout


def test_without_bwrap_every_command_says_no_isolation(tmp_path: Path) -> None:
    """No bubblewrap: ``plugins`` says so, the default profile refuses to run code and names
    the fixes, and a profile that opts out runs code and says "no isolation"."""
    env = {**CORE_ONLY, **NO_BWRAP}

    def agenthost(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*AGENTHOST, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
        )

    plugins = agenthost("plugins")
    assert "    isolation: no isolation available here (bwrap is not installed: " in plugins.stdout
    refused = agenthost("sandbox", "exec", "6 * 7")
    assert refused.returncode == 2 and refused.stdout == ""
    assert "sandbox profile 'default' ([sandboxes.default]) cannot start: no isolation" in (
        refused.stderr
    )
    for fix in ("apt-get install bubblewrap", 'backend = "docker"', 'isolation = "none"'):
        assert fix in refused.stderr
    assert "Traceback" not in refused.stderr
    config = tmp_path / "agenthost.toml"
    python = unisolated()["python"]
    config.write_text(f'[sandboxes.trusted]\nisolation = "none"\npython = "{python}"\n')
    ran = agenthost("sandbox", "exec", "--profile", "trusted", "6 * 7")
    assert ran.stdout == "42\n", ran.stderr
    assert "NO ISOLATION" in ran.stderr  # the log says it too
    info = agenthost("sandbox", "info", "--profile", "trusted")
    assert info.returncode == 0, info.stderr
    assert "isolation: no isolation (" in info.stdout


async def test_unisolated_states_it_in_describe_info_and_log(
    manager_for: object, caplog: pytest.LogCaptureFixture
) -> None:
    manager = manager_for(isolation="none")  # type: ignore[operator]
    assert manager.describe()["p"]["started"] is False
    with caplog.at_level(logging.WARNING, logger="agenthost.sandbox"):
        sandbox = await manager.create("p")
    assert 'NO ISOLATION (isolation = "none")' in caplog.text
    assert manager.describe()["p"]["isolation"].startswith("no isolation (")
    assert sandbox.info()["backend"]["isolation"] == "none"
    assert sandbox.info()["backend"]["detail"].startswith("no isolation: a plain subprocess")


async def test_without_bwrap_a_profile_refuses_names_the_fix_and_retries_later(
    manager_for: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(*next(iter(NO_BWRAP.items())))
    assert LocalBackend.isolation().startswith("no isolation available here")
    manager = manager_for()  # type: ignore[operator]
    with pytest.raises(SandboxStartError, match="bwrap is not installed") as info:
        await manager.create("p")
    assert "install bubblewrap" in str(info.value)
    assert manager.describe()["p"]["started"] is False  # forgotten: the next use retries
    # A profile that failed to start is tried again on the next use (bwrap may be installed).
    monkeypatch.delenv(next(iter(NO_BWRAP)))
    if probe_bwrap(False).works:
        sandbox = await manager.create("p")
        assert (await sandbox.run_python("6 * 7")).value == "42"


async def test_root_host_never_hands_root_to_an_unisolated_sandbox(
    manager_for: object, tmp_path: Path
) -> None:
    """An interpreter only root can reach (a 0700 directory on its path) would make the
    sandbox root: the profile refuses instead, naming the fix. Not root: it runs as the user."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / "python").symlink_to(sys.executable)
    manager = manager_for(isolation="none", python=str(private / "python"))  # type: ignore[operator]
    if os.geteuid() != 0:
        sandbox = await manager.create("p")
        assert sandbox.info()["backend"]["uid"] == os.geteuid()
        return
    with pytest.raises(SandboxStartError, match="the sandbox would run as root") as info:
        await manager.create("p")
    assert 'python = "/usr/bin/python3"' in str(info.value)


# --------------------------------------------------------------------------- config and CLI


def test_options_are_validated_by_check() -> None:
    table = {"backend": "local", "memroy": "1g", "memory": "lots", "pool": -1, "isolation": "off"}
    config = parse_config({"sandboxes": {"big": table}}, "agenthost.toml")
    problems = "\n".join(check_config(config, Plugins()))
    assert "agenthost.toml: sandboxes.big.memroy: unknown key" in problems
    assert "sandboxes.big.memory" in problems and "'lots' is not a size" in problems
    assert "sandboxes.big.pool" in problems
    assert "sandboxes.big.isolation: Input should be 'bwrap' or 'none'" in problems
    good = parse_config({"sandboxes": {"s": {"backend": "local", "memory": "1g", "pool": 0}}})
    assert check_config(good, Plugins()) == []


def test_sandbox_exec_command() -> None:
    ok = subprocess.run(
        [*AGENTHOST, "sandbox", "exec", "print('hi')\n6 * 7"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (ok.returncode, ok.stdout) == (0, "hi\n42\n")
    failed = subprocess.run(
        [*AGENTHOST, "sandbox", "exec", "1 / 0"], capture_output=True, text=True, timeout=60
    )
    assert failed.returncode == 1 and "ZeroDivisionError: division by zero" in failed.stderr
    shell = subprocess.run(
        [*AGENTHOST, "sandbox", "exec", "--shell", "echo sh; exit 3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (shell.returncode, shell.stdout) == (3, "sh\n")
    unknown = subprocess.run(
        [*AGENTHOST, "sandbox", "exec", "--backend", "nope", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unknown.returncode == 2 and "no sandbox backend named 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
