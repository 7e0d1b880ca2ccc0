"""What only the ``local`` backend does: host-side kills reach every process, the sandbox dies
with its host, host secrets stay out, isolation is stated plainly, options are validated."""

from __future__ import annotations

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

AGENTHOST = [sys.executable, "-m", "agenthost.cli"]


@pytest.fixture
async def manager_for() -> AsyncIterator[object]:
    managers: list[SandboxManager] = []

    def make(**table: object) -> SandboxManager:
        manager = SandboxManager({"p": {"backend": "local", "pool": 0, **table}}, Plugins())
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


@pytest.mark.parametrize("mode", ["require", "off"])
async def test_timeout_kills_everything_the_call_started(
    mode: str, manager_for: object, request: pytest.FixtureRequest
) -> None:
    if mode == "require":
        request.getfixturevalue("bwrap_works")
    sandbox = await manager_for(bwrap=mode).create("p")  # type: ignore[operator]
    marker = f"{uuid.uuid4().int % 10**9 + 10**9}"
    code = (
        "import subprocess\n"
        f"subprocess.Popen(['sleep', '{marker}'])\n"
        f"subprocess.Popen(['sh', '-c', 'sleep {marker}; true'])\n"
        "while True:\n    pass"
    )
    with pytest.raises(SandboxTimeout):
        await sandbox.run_python(code, timeout=1)
    assert await until_gone(marker) == []


async def test_under_bwrap_even_a_detached_process_dies_with_the_sandbox(
    bwrap_works: None, manager_for: object
) -> None:
    sandbox = await manager_for(bwrap="require").create("p")  # type: ignore[operator]
    marker = f"{uuid.uuid4().int % 10**9 + 10**9}"
    started = await sandbox.run_shell(f"setsid nohup sleep {marker} >/dev/null 2>&1 & echo ok")
    assert started.stdout == "ok\n"
    assert await until_present(marker)  # it escaped the call, and still runs
    await sandbox.close()
    assert await until_gone(marker) == []


async def test_close_kills_every_executor_warm_ones_included(bwrap_works: None) -> None:
    manager = SandboxManager({"p": {"backend": "local", "pool": 2}}, Plugins())
    await manager.start()
    sandbox = await manager.for_session("p", "s1")
    pids = [sandbox.info()["backend"]["pid"]]
    assert manager.describe()["p"]["live"] >= 2
    await manager.close()
    assert not any(alive(pid) for pid in pids)
    assert manager.describe()["p"]["live"] == 0


@pytest.mark.parametrize("mode", ["require", "off"])
def test_sandboxes_die_with_their_host(
    mode: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if mode == "require":
        request.getfixturevalue("bwrap_works")
    marker = f"{uuid.uuid4().int % 10**9 + 10**9}"
    script = tmp_path / "host.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import asyncio, sys
            from agenthost.plugins import Plugins
            from agenthost.sandbox.manager import SandboxManager

            async def main():
                table = {{"backend": "local", "pool": 0, "bwrap": "{mode}"}}
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


@pytest.mark.parametrize("mode", ["require", "off"])
async def test_host_environment_and_secrets_stay_out(
    mode: str, manager_for: object, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if mode == "require":
        request.getfixturevalue("bwrap_works")
    monkeypatch.setenv("AGENTHOST_TEST_SECRET", "sk-do-not-leak")
    sandbox = await manager_for(bwrap=mode, env={"VISIBLE": "yes"}).create("p")  # type: ignore[operator]
    result = await sandbox.run_python(
        "import os\n(os.environ.get('AGENTHOST_TEST_SECRET'), os.environ.get('VISIBLE'),"
        " sorted(k for k in os.environ if k.startswith('AGENTHOST')))"
    )
    assert result.value == "(None, 'yes', [])"


async def test_bwrap_sandbox_has_its_own_uid_and_process_table(
    bwrap_works: None, manager_for: object
) -> None:
    sandbox = await manager_for(bwrap="require").create("p")  # type: ignore[operator]
    result = await sandbox.run_python(
        "import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "(os.getuid() == 0, len(pids) < 10, os.getcwd())"
    )
    assert result.value == "(False, True, '/workspace')"
    assert sandbox.info()["backend"]["isolation"] == "bwrap"


async def test_nested_user_namespaces_are_refused_under_bwrap(
    bwrap_works: None, manager_for: object
) -> None:
    sandbox = await manager_for(bwrap="require").create("p")  # type: ignore[operator]
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
    sandbox = await manager_for(bwrap="require").create("p")  # type: ignore[operator]
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
    sandbox = await manager_for(bwrap="require").create("p")  # type: ignore[operator]
    result = await sandbox.run_python("import os\nos.environ['MPLBACKEND']")
    assert result.value == "'Agg'"  # so pyplot never looks for a display


# --------------------------------------------------------------------------- stating isolation


def test_isolation_is_stated_in_agenthost_plugins() -> None:
    out = subprocess.run([*AGENTHOST, "plugins"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    line = next(
        x
        for x in out.stdout.splitlines()
        if ("isolation:" in x and "bubblewrap" in x) or "isolation: process-level" in x
    )
    assert ("bubblewrap" in line) == probe_bwrap(False).works


def test_without_bwrap_on_path_it_says_process_level_only(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # a PATH with no bwrap on it
    out = subprocess.run(
        [*AGENTHOST, "plugins"], capture_output=True, text=True, env=env, timeout=60
    )
    assert "isolation: process-level isolation only: bwrap is not installed" in out.stdout
    run = subprocess.run(
        [*AGENTHOST, "sandbox", "exec", "6 * 7"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert run.stdout == "42\n"
    assert "process-level isolation only" in run.stderr  # the log says it too


async def test_fallback_states_it_in_describe_info_and_log(
    manager_for: object, caplog: pytest.LogCaptureFixture
) -> None:
    manager = manager_for(bwrap="off")  # type: ignore[operator]
    with caplog.at_level(logging.WARNING, logger="agenthost.sandbox"):
        sandbox = await manager.create("p")
    assert "process-level isolation only" in caplog.text
    assert manager.describe()["p"]["isolation"].startswith("process-level isolation only")
    assert sandbox.info()["backend"]["isolation"] == "process"


async def test_require_fails_clearly_without_bwrap(
    manager_for: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """PATH without bwrap stands in for a machine without bubblewrap."""
    monkeypatch.setenv("PATH", str(tmp_path))
    probe_bwrap.cache_clear()
    try:
        assert LocalBackend.isolation().startswith("process-level isolation only")
        with pytest.raises(SandboxStartError, match="bwrap = 'require' but bwrap is not installed"):
            await manager_for(bwrap="require").create("p")  # type: ignore[operator]
    finally:
        probe_bwrap.cache_clear()


# --------------------------------------------------------------------------- config and CLI


def test_options_are_validated_by_check() -> None:
    config = parse_config(
        {"sandboxes": {"big": {"backend": "local", "memroy": "1g", "memory": "lots", "pool": -1}}},
        "agenthost.toml",
    )
    problems = "\n".join(check_config(config, Plugins()))
    assert "agenthost.toml: sandboxes.big.memroy: unknown key" in problems
    assert "sandboxes.big.memory" in problems and "'lots' is not a size" in problems
    assert "sandboxes.big.pool" in problems
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
