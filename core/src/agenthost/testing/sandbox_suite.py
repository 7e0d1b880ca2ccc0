"""The sandbox-backend conformance suite: what every backend (local, docker, ...) must pass.

A backend's test module subclasses ``SandboxBackendSuite`` and supplies the profile table::

    from agenthost.testing.sandbox_suite import SandboxBackendSuite

    class TestMyBackend(SandboxBackendSuite):
        @pytest.fixture
        def sandbox_profile(self) -> dict[str, Any]:
            return {"backend": "mine", "image": "my-image"}   # a [sandboxes.NAME] table

Every test builds real sandboxes through ``SandboxManager`` with small limits
(``SUITE_LIMITS``, overridable by the table) and checks behaviour through the public
``Sandbox`` API: state, output, errors, files, timeouts, caps, crashes, and attacks (fork
bomb, memory bomb, output flood, big files, paths out of the work dir, network, another
sandbox's files). A backend that cannot contain an attack in some setting says so by
returning a reason from ``cannot_contain`` — the test then skips with that reason, and the
backend's docs must list it.
"""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from ..plugins import Plugins
from ..sandbox.api import Sandbox
from ..sandbox.errors import (
    ExecutorCrashed,
    PathOutsideWorkdir,
    SandboxFileError,
    SandboxTimeout,
)
from ..sandbox.manager import SandboxManager
from ..sandbox.results import ExecResult, OutputChunk

SUITE_LIMITS: dict[str, Any] = {
    "pool": 0,
    "timeout": 30,
    "max_output": 64 * 1024,
    "memory": "384m",
    "pids": 64,
    "file_size": "4m",
}
ATTACKS = ("fork_bomb", "memory_bomb", "network", "readonly_system", "other_sandbox")

MakeSandbox = Callable[..., Awaitable[Sandbox]]


@contextlib.asynccontextmanager
async def sandbox_factory(profile: dict[str, Any]) -> AsyncIterator[MakeSandbox]:
    """``make(**options)`` creates a sandbox in a profile of its own (``profile`` updated with
    ``options``); every one is closed when the block ends. For backend tests beyond the suite.
    """
    managers: list[SandboxManager] = []

    async def make(**options: Any) -> Sandbox:
        name = f"test-{uuid.uuid4().hex[:8]}"
        manager = SandboxManager({name: {**profile, **options}}, Plugins())
        managers.append(manager)
        return await manager.create(name)

    try:
        yield make
    finally:
        for manager in managers:
            await manager.close()


@pytest.mark.asyncio
class SandboxBackendSuite:
    """Subclass with a ``sandbox_profile`` fixture; see the module docstring."""

    @pytest.fixture
    def sandbox_profile(self) -> dict[str, Any]:
        raise NotImplementedError("a SandboxBackendSuite subclass supplies sandbox_profile")

    def cannot_contain(self, attack: str, sandbox: Sandbox) -> str | None:
        """Why this backend, as set up here, cannot contain ``attack`` (one of ``ATTACKS``),
        or None when it can (the default)."""
        return None

    @pytest_asyncio.fixture
    async def make_sandbox(self, sandbox_profile: dict[str, Any]) -> AsyncIterator[MakeSandbox]:
        """``await make_sandbox(**options)``: a new sandbox in a profile of its own."""
        async with sandbox_factory({**SUITE_LIMITS, **sandbox_profile}) as make:
            yield make

    @pytest_asyncio.fixture
    async def sandbox(self, make_sandbox: MakeSandbox) -> Sandbox:
        return await make_sandbox()

    def _skip_unless_contained(self, attack: str, sandbox: Sandbox) -> None:
        reason = self.cannot_contain(attack, sandbox)
        if reason:
            pytest.skip(f"this backend cannot contain {attack.replace('_', ' ')} here: {reason}")

    # -- Python: state, values, output, errors -------------------------------------------------

    async def test_state_persists_between_calls(self, sandbox: Sandbox) -> None:
        first = await sandbox.run_python("import math\nx = 20")
        assert first.ok and first.value is None
        second = await sandbox.run_python("x + math.floor(2.5)")
        assert second.value == "22"

    async def test_last_expression_value_is_its_repr(self, sandbox: Sandbox) -> None:
        assert (await sandbox.run_python("'a' + 'b'")).value == "'ab'"
        assert (await sandbox.run_python("None")).value is None
        assert (await sandbox.run_python("print('p')")).value is None
        assert (await sandbox.run_python("y = [1]\ny * 2")).value == "[1, 1]"
        assert (await sandbox.run_python("_")).value == "[1, 1]"  # like a notebook

    async def test_stdout_and_stderr_are_separate(self, sandbox: Sandbox) -> None:
        result = await sandbox.run_python("import sys\nprint('out')\nprint('err', file=sys.stderr)")
        assert result.stdout == "out\n"
        assert result.stderr == "err\n"

    async def test_output_of_subprocesses_and_c_code_is_captured(self, sandbox: Sandbox) -> None:
        result = await sandbox.run_python(
            "import os, subprocess\nos.system('echo from-system')\n"
            "os.write(2, b'raw-fd\\n')\nsubprocess.run(['echo', 'from-run'])\n'done'"
        )
        assert "from-system\n" in result.stdout and "from-run\n" in result.stdout
        assert result.stderr == "raw-fd\n"
        assert result.value == "'done'"

    async def test_background_thread_output_never_breaks_the_protocol(
        self, sandbox: Sandbox
    ) -> None:
        await sandbox.run_python(
            "import threading\ndef chatter():\n    while True:\n"
            "        print('tick')\n"
            "threading.Thread(target=chatter, daemon=True).start()"
        )
        for _ in range(30):
            result = await sandbox.run_python("2 + 2")
            assert result.value == "4"
            assert all("tick".startswith(word) for word in result.stdout.split())  # capped
        assert sandbox.restarts == 0

    async def test_a_forked_child_leaving_the_cell_does_not_serve(self, sandbox: Sandbox) -> None:
        result = await sandbox.run_python(
            "import os\nkept = 'parent state'\npid = os.fork()\n"
            "if pid == 0:\n    print('in child')\nelse:\n    os.waitpid(pid, 0)\n"
            "    print('in parent')"
        )
        assert "in child" in result.stdout and "in parent" in result.stdout
        assert (await sandbox.run_python("kept")).value == "'parent state'"
        assert sandbox.restarts == 0

    async def test_exception_gives_type_message_and_traceback(self, sandbox: Sandbox) -> None:
        await sandbox.run_python("def explode(n):\n    raise ValueError(f'boom {n}')\nkept = 1")
        result = await sandbox.run_python("explode(3)")
        assert result.error is not None and not result.ok
        assert (result.error.type, result.error.message) == ("ValueError", "boom 3")
        assert "explode(3)" in result.error.traceback  # the cell's source line
        assert "raise ValueError" in result.error.traceback  # the earlier cell's line
        assert "executor" not in result.error.traceback  # no frames of the executor itself
        assert (await sandbox.run_python("kept")).value == "1"  # state survives an error

    async def test_syntax_error_and_system_exit_are_reported(self, sandbox: Sandbox) -> None:
        result = await sandbox.run_python("def (:")
        assert result.error is not None and result.error.type == "SyntaxError"
        result = await sandbox.run_python("raise SystemExit(4)")
        assert result.error is not None and result.error.type == "SystemExit"
        assert (await sandbox.run_python("1 + 1")).value == "2"  # the executor is still there

    async def test_images_come_back_as_artifacts(self, sandbox: Sandbox) -> None:
        png = b"\x89PNG\r\n\x1a\n" + b"fake image body"
        code = f"class Plot:\n    def _repr_png_(self):\n        return {png!r}\nPlot()"
        result = await sandbox.run_python(code)
        assert len(result.artifacts) == 1
        assert result.artifacts[0].mime_type == "image/png"
        assert result.artifacts[0].bytes == png

    async def test_pyplot_figures_come_back_and_are_closed(self, sandbox: Sandbox) -> None:
        """A stand-in ``matplotlib.pyplot`` (matplotlib itself need not be installed in the
        sandbox image) shows the executor's figure collection: every open figure is saved as
        a PNG artifact, then all are closed."""
        await sandbox.write_file("stub/matplotlib/__init__.py", "")
        await sandbox.write_file(
            "stub/matplotlib/pyplot.py",
            "_figs = {}\n"
            "class _Figure:\n"
            "    def __init__(self, n):\n        self.n = n\n"
            "    def savefig(self, out, format, bbox_inches=None):\n"
            "        out.write(b'PNG-%d-' % self.n + format.encode())\n"
            "def figure(num=None):\n"
            "    num = num or max(_figs, default=0) + 1\n"
            "    return _figs.setdefault(num, _Figure(num))\n"
            "def get_fignums():\n    return sorted(_figs)\n"
            "def close(which):\n    _figs.clear()\n",
        )
        result = await sandbox.run_python(
            "import sys\nsys.path.insert(0, 'stub')\nimport matplotlib.pyplot as plt\n"
            "plt.figure()\nplt.figure()\nNone"
        )
        assert [a.bytes for a in result.artifacts] == [b"PNG-1-png", b"PNG-2-png"]
        assert all(a.mime_type == "image/png" for a in result.artifacts)
        after = await sandbox.run_python("plt.get_fignums()")
        assert after.value == "[]" and after.artifacts == []

    async def test_streaming_yields_output_while_the_call_runs(self, sandbox: Sandbox) -> None:
        items: list[OutputChunk | ExecResult] = []
        busy_at_first_chunk = None
        code = "import time\nprint('first', flush=True)\ntime.sleep(0.3)\nprint('second')\n7"
        async for item in sandbox.stream_python(code):
            if isinstance(item, OutputChunk) and busy_at_first_chunk is None:
                busy_at_first_chunk = sandbox.busy
            items.append(item)
        assert busy_at_first_chunk is True  # the chunk came before the call ended
        chunks = [i for i in items if isinstance(i, OutputChunk)]
        assert "".join(c.text for c in chunks) == "first\nsecond\n"
        result = items[-1]
        assert isinstance(result, ExecResult) and result.value == "7"
        assert result.stdout == "first\nsecond\n"

    # -- shell ---------------------------------------------------------------------------------

    async def test_shell_gives_output_and_exit_code(self, sandbox: Sandbox) -> None:
        result = await sandbox.run_shell("echo out; echo err >&2; exit 3")
        assert (result.stdout, result.stderr, result.exit_code) == ("out\n", "err\n", 3)
        assert not result.ok

    async def test_shell_cwd_and_env(self, sandbox: Sandbox) -> None:
        await sandbox.write_file("sub/marker.txt", "here")
        result = await sandbox.run_shell(
            'cat marker.txt; echo " $GREETING"', cwd="sub", env={"GREETING": "hello"}
        )
        assert result.stdout == "here hello\n" and result.exit_code == 0
        with pytest.raises(PathOutsideWorkdir):
            await sandbox.run_shell("pwd", cwd="../..")

    async def test_shell_background_child_does_not_hang_the_call(self, sandbox: Sandbox) -> None:
        result = await sandbox.run_shell("sleep 300 & echo started", timeout=20)
        assert result.stdout == "started\n" and result.exit_code == 0

    # -- files ---------------------------------------------------------------------------------

    async def test_files_round_trip_binary_safe(self, sandbox: Sandbox) -> None:
        data = bytes(range(256)) * 3
        assert await sandbox.write_file("data/blob.bin", data) == len(data)
        assert await sandbox.read_file("data/blob.bin") == data
        seen = await sandbox.run_python("len(open('data/blob.bin', 'rb').read())")
        assert seen.value == str(len(data))
        await sandbox.write_file("data/blob.bin", b"more", append=True)
        assert (await sandbox.read_file("data/blob.bin")).endswith(b"more")

    async def test_list_and_remove(self, sandbox: Sandbox) -> None:
        await sandbox.write_file("a/one.txt", "1")
        await sandbox.write_file("a/b/two.txt", "22")
        top = [(e.path, e.type) for e in await sandbox.list_files()]
        assert ("a", "dir") in top
        tree = {e.path: (e.type, e.size) for e in await sandbox.list_files("a", recursive=True)}
        assert tree["a/one.txt"] == ("file", 1) and tree["a/b/two.txt"] == ("file", 2)
        assert tree["a/b"][0] == "dir"
        await sandbox.remove("a/one.txt")
        with pytest.raises(SandboxFileError) as missing:
            await sandbox.read_file("a/one.txt")
        assert missing.value.kind == "FileNotFoundError"
        with pytest.raises(SandboxFileError):
            await sandbox.remove("a")  # not empty, not recursive
        await sandbox.remove("a", recursive=True)
        assert [e for e in await sandbox.list_files() if e.path == "a"] == []

    async def test_paths_cannot_leave_the_work_dir(self, sandbox: Sandbox) -> None:
        for path in ("../escape.txt", "a/../../escape.txt", "/etc/passwd", "/tmp/x"):
            with pytest.raises(PathOutsideWorkdir):
                await sandbox.write_file(path, "x")
            with pytest.raises(PathOutsideWorkdir):
                await sandbox.read_file(path)
        workdir = (await sandbox.run_python("import os\nos.getcwd()")).value
        assert workdir is not None
        await sandbox.write_file(workdir.strip("'") + "/inside.txt", "ok")  # absolute, inside
        assert await sandbox.read_file("inside.txt") == b"ok"

    async def test_symlinks_out_of_the_work_dir_are_not_followed(self, sandbox: Sandbox) -> None:
        made = await sandbox.run_shell(
            "ln -s /etc etc-link && ln -s /etc/passwd passwd-link && ln -s /tmp tmp-link"
        )
        assert made.exit_code == 0, made.text()
        for path in ("etc-link/passwd", "passwd-link"):
            with pytest.raises(PathOutsideWorkdir):
                await sandbox.read_file(path)
        for path in ("tmp-link/planted.txt", "passwd-link"):
            with pytest.raises(PathOutsideWorkdir):
                await sandbox.write_file(path, "x")
        with pytest.raises(PathOutsideWorkdir):
            await sandbox.list_files("etc-link")
        kinds = {e.path: e.type for e in await sandbox.list_files()}
        assert kinds["etc-link"] == "symlink"

    async def test_file_larger_than_the_size_limit_is_refused(
        self, make_sandbox: MakeSandbox
    ) -> None:
        sandbox = await make_sandbox(file_size="1m")
        result = await sandbox.run_python(
            "try:\n    open('big', 'wb').write(b'x' * 3_000_000)\n"
            "except OSError as exc:\n    print('refused', exc.errno)\n"
        )
        assert "refused 27" in result.stdout  # EFBIG
        with pytest.raises(SandboxFileError):
            await sandbox.write_file("big2", b"x" * 3_000_000)
        assert (await sandbox.run_python("1 + 1")).value == "2"

    # -- limits, timeouts, crashes ---------------------------------------------------------------

    async def test_output_is_capped_and_flagged(self, make_sandbox: MakeSandbox) -> None:
        sandbox = await make_sandbox(max_output="64k")
        result = await sandbox.run_python("kept = 5\nprint('x' * 1_000_000)\n'after'")
        assert result.truncated
        assert len(result.stdout.encode()) <= 64 * 1024
        assert result.value == "'after'"
        assert (await sandbox.run_python("kept")).value == "5"  # no restart needed

    async def test_200_mb_of_output_is_contained(self, make_sandbox: MakeSandbox) -> None:
        sandbox = await make_sandbox()
        result = await sandbox.run_python(
            "import os, sys\nchunk = 'y' * 1_000_000\n"
            "for _ in range(100):\n    sys.stdout.write(chunk)\n"
            "for _ in range(100):\n    os.write(1, chunk.encode())\n'survived'"
        )
        assert result.truncated and result.value == "'survived'"
        assert len(result.stdout) <= SUITE_LIMITS["max_output"]

    async def test_timeout_kills_and_restarts_empty(self, sandbox: Sandbox) -> None:
        await sandbox.run_python("state = 'precious'")
        await sandbox.write_file("notes.txt", "precious")
        with pytest.raises(SandboxTimeout) as timeout:
            await sandbox.run_python("while True:\n    pass", timeout=0.5)
        assert "restarted empty" in str(timeout.value)
        after = await sandbox.run_python("state")
        assert after.error is not None and after.error.type == "NameError"
        assert "notes.txt" not in [e.path for e in await sandbox.list_files()]
        assert sandbox.restarts == 1

    async def test_shell_timeout(self, sandbox: Sandbox) -> None:
        with pytest.raises(SandboxTimeout):
            await sandbox.run_shell("sleep 600", timeout=0.5)
        assert (await sandbox.run_shell("echo back")).stdout == "back\n"

    async def test_crash_is_reported_and_the_sandbox_restarts(self, sandbox: Sandbox) -> None:
        await sandbox.run_python("state = 1")
        with pytest.raises(ExecutorCrashed) as crash:
            await sandbox.run_python("import os\nos._exit(3)")
        assert "status 3" in str(crash.value)
        after = await sandbox.run_python("'state' in globals()")
        assert after.value == "False"

    async def test_forged_frames_are_a_crash_not_a_confused_host(self, sandbox: Sandbox) -> None:
        await sandbox.run_python("state = 1")
        with pytest.raises(ExecutorCrashed):
            await sandbox.run_python(
                "import os\nfor fd in range(3, 64):\n    try:\n"
                "        os.write(fd, b'\\xff' * 64)\n    except OSError:\n        pass\n"
                "import time\ntime.sleep(5)"
            )
        assert (await sandbox.run_python("'state' in globals()")).value == "False"

    async def test_leaving_a_stream_early_stops_the_call(self, sandbox: Sandbox) -> None:
        await sandbox.run_python("marker = 1")
        stream = sandbox.stream_python("import time\nprint('tick', flush=True)\ntime.sleep(600)")
        async for item in stream:
            assert isinstance(item, OutputChunk)
            break
        await stream.aclose()  # type: ignore[attr-defined]
        result = await sandbox.run_python("'marker' in globals()", timeout=20)
        assert result.value == "False"  # the long call was killed, the sandbox restarted

    async def test_closed_sandbox_refuses_calls(self, make_sandbox: MakeSandbox) -> None:
        from ..sandbox.errors import SandboxClosed

        sandbox = await make_sandbox()
        await sandbox.close()
        with pytest.raises(SandboxClosed):
            await sandbox.run_python("1")

    # -- attacks -------------------------------------------------------------------------------

    async def test_infinite_loop_leaves_other_sandboxes_responsive(
        self, make_sandbox: MakeSandbox
    ) -> None:
        import asyncio

        looping = await make_sandbox()
        other = await make_sandbox()
        loop_call = asyncio.create_task(looping.run_python("while True:\n    pass", timeout=5))
        try:
            for _ in range(3):
                assert (await other.run_python("sum(range(100))")).value == "4950"
            assert not loop_call.done()  # the loop was still spinning all along
        finally:
            with contextlib.suppress(SandboxTimeout):
                await loop_call
        assert (await looping.run_python("2 * 21")).value == "42"

    async def test_fork_bomb_is_contained(self, make_sandbox: MakeSandbox) -> None:
        sandbox = await make_sandbox(pids=32)
        self._skip_unless_contained("fork_bomb", sandbox)
        bystander = await make_sandbox()
        result = await sandbox.run_python(
            "import os, time\nchildren = []\ntry:\n    for _ in range(5_000):\n"
            "        pid = os.fork()\n        if pid == 0:\n            time.sleep(600)\n"
            "            os._exit(0)\n        children.append(pid)\n"
            "except OSError as exc:\n    print('fork refused', exc.errno)\nlen(children)"
        )
        assert "fork refused 11" in result.stdout  # EAGAIN
        assert result.value is not None and int(result.value) < 32
        assert (await bystander.run_python("sum(range(10))")).value == "45"
        await sandbox.restart()  # kills the sleeping children with the old executor
        assert (await sandbox.run_shell("echo forked-again")).stdout == "forked-again\n"

    async def test_memory_bomb_is_contained(self, make_sandbox: MakeSandbox) -> None:
        sandbox = await make_sandbox(memory="256m")
        self._skip_unless_contained("memory_bomb", sandbox)
        try:
            result = await sandbox.run_python(
                "blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))"
            )
        except ExecutorCrashed:
            pass  # killed for memory (cgroup backends): contained
        else:
            assert result.error is not None and result.error.type == "MemoryError"
        assert (await sandbox.run_python("1 + 1")).value == "2"

    async def test_network_is_blocked(self, sandbox: Sandbox) -> None:
        self._skip_unless_contained("network", sandbox)
        listeners = []
        for address in _host_addresses():
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind((address, 0))
            listener.listen(4)
            listeners.append(listener)
        try:
            targets = [s.getsockname() for s in listeners]
            result = await sandbox.run_python(
                "import socket\nreached = []\n"
                f"for host, port in {targets!r}:\n"
                "    s = socket.socket()\n    s.settimeout(3)\n"
                "    try:\n        s.connect((host, port))\n        reached.append(host)\n"
                "    except OSError:\n        pass\n    finally:\n        s.close()\n"
                "names = [name for _, name in socket.if_nameindex()]\n(reached, names)"
            )
        finally:
            for listener in listeners:
                listener.close()
        assert result.value == "([], ['lo'])", result.text()

    async def test_system_is_read_only(self, sandbox: Sandbox) -> None:
        self._skip_unless_contained("readonly_system", sandbox)
        result = await sandbox.run_python(
            "import os\nrefused = []\n"
            "for path in ['/etc/agenthost-planted', '/usr/agenthost-planted']:\n"
            "    try:\n        open(path, 'w').write('x')\n"
            "    except OSError:\n        refused.append(path)\n"
            "len(refused)"
        )
        assert result.value == "2"

    async def test_other_sandboxes_files_are_out_of_reach(self, make_sandbox: MakeSandbox) -> None:
        first = await make_sandbox()
        second = await make_sandbox()
        self._skip_unless_contained("other_sandbox", second)
        await first.write_file("secret.txt", "the-first-sandbox-secret")
        where = await first.run_python("import os\nos.path.abspath('secret.txt')")
        assert where.value is not None
        result = await second.run_python(
            "try:\n"
            f"    seen = open({where.value}).read()\n"
            "except OSError as exc:\n    seen = type(exc).__name__\nseen"
        )
        assert result.value is not None and "the-first-sandbox-secret" not in result.value


def _host_addresses() -> list[str]:
    """127.0.0.1 and this machine's own non-loopback IPv4 address, when it has one."""
    addresses = ["127.0.0.1"]
    with contextlib.suppress(OSError):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent, only a route chosen
            own = probe.getsockname()[0]
        finally:
            probe.close()
        if own and not own.startswith("127."):
            addresses.append(own)
    return addresses
