"""Attacks on a Docker sandbox, against the real engine, beyond the conformance suite's (which
test_docker_suite.py runs too: fork bomb stopped by the pids limit, an infinite loop beside a
responsive sandbox, ...): what the Docker hardening adds or reports in its own way."""

from __future__ import annotations

import ipaddress
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agenthost.sandbox.errors import ExecutorCrashed, SandboxTimeout
from agenthost.testing.sandbox_suite import MakeSandbox, sandbox_factory

pytestmark = pytest.mark.docker


@pytest.fixture
async def make_sandbox(engine: Any) -> AsyncIterator[MakeSandbox]:
    """``await make_sandbox(**options)``: a docker sandbox of its own profile (no warm pool)."""
    async with sandbox_factory({"backend": "docker", "pool": 0, "timeout": 30}) as make:
        yield make


async def test_memory_bomb_is_oom_killed_and_reported(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(memory="128m")
    await sandbox.run_python("kept = 'state before the bomb'")
    with pytest.raises(ExecutorCrashed) as caught:
        await sandbox.run_python("hog = []\nwhile True:\n    hog.append(bytearray(16 << 20))")
    message = str(caught.value)
    assert "OOM-killed" in message and "128 MiB" in message
    assert "restarted empty" in message
    # A fresh container took its place: the sandbox works, its old state is gone.
    result = await sandbox.run_python("'kept' in globals()")
    assert result.value == "False"


async def test_no_route_out(engine: Any, make_sandbox: MakeSandbox) -> None:
    """Only ``lo``, an empty route table, and a listener on this machine's bridge address
    (which a container with networking does reach: the control case) is unreachable."""
    ipam = engine.networks.get("bridge").attrs["IPAM"]["Config"][0]
    # The host's own address on the bridge: the gateway (first address when not listed).
    gateway = ipam.get("Gateway") or str(next(ipaddress.ip_network(ipam["Subnet"]).hosts()))
    listener = socket.create_server((gateway, 0))
    port = listener.getsockname()[1]
    probe = (
        "import socket\n"
        "names = sorted(n for _, n in socket.if_nameindex())\n"
        "routes = open('/proc/net/route').read().splitlines()[1:]\n"
        "try:\n"
        f"    socket.create_connection(({gateway!r}, {port}), timeout=5).close()\n"
        "    outcome = 'connected'\n"
        "except OSError as exc:\n"
        "    outcome = type(exc).__name__\n"
        "(names, routes, outcome)"
    )
    try:
        sandbox = await make_sandbox()
        names, routes, outcome = eval((await sandbox.run_python(probe)).value or "")
        assert names == ["lo"]
        assert routes == []
        assert outcome != "connected"
        # Control: relaxing `network` reaches the same listener, so the probe can tell.
        open_sandbox = await make_sandbox(network=True)
        _, _, control = eval((await open_sandbox.run_python(probe)).value or "")
        assert control == "connected"
    finally:
        listener.close()


async def test_root_filesystem_is_read_only(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox()
    result = await sandbox.run_shell(
        "for p in /etc/x /usr/x /x /var/x; do touch $p 2>&1; done; touch ./ok && echo work ok"
    )
    assert result.stdout.count("Read-only file system") == 4
    assert "work ok" in result.stdout  # the work dir (the shell's cwd) is writable
    # /tmp is writable but not executable.
    result = await sandbox.run_shell(
        "printf '#!/bin/sh\\necho ran\\n' > /tmp/t && chmod +x /tmp/t && /tmp/t"
    )
    assert "ran" not in result.stdout and result.exit_code != 0


async def test_file_size_limit(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(file_size="1m")
    result = await sandbox.run_python(
        "import errno\n"
        "try:\n"
        "    with open('big', 'wb') as f:\n"
        "        f.write(b'x' * (2 << 20))\n"
        "    outcome = 'written'\n"
        "except OSError as exc:\n"
        "    outcome = errno.errorcode[exc.errno]\n"
        "import os\n"
        "(outcome, os.path.getsize('big'))"
    )
    assert result.value == f"('EFBIG', {1 << 20})"


async def test_infinite_loop_is_killed_at_its_timeout(
    engine: Any, make_sandbox: MakeSandbox
) -> None:
    sandbox = await make_sandbox()
    await sandbox.run_python("x = 1")
    old = sandbox.info()["backend"]["container"]
    with pytest.raises(SandboxTimeout) as caught:
        await sandbox.run_python("while True:\n    pass", timeout=1)
    assert "restarted empty" in str(caught.value)
    result = await sandbox.run_python("'x' in globals()")
    assert result.value == "False"
    assert sandbox.info()["backend"]["container"] != old
    # The container that looped is gone, not just abandoned.
    assert not engine.containers.list(all=True, filters={"id": old})


async def test_200_mb_of_output_is_capped(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(max_output="1m")
    result = await sandbox.run_python(
        "import sys\nfor _ in range(200):\n    sys.stdout.write('x' * 1_000_000)\n'done'"
    )
    assert result.truncated and result.value == "'done'"
    assert len(result.stdout) == 1 << 20
    shell = await sandbox.run_shell("head -c 200000000 /dev/zero | tr '\\0' y; echo end >&2")
    assert shell.truncated and len(shell.stdout) + len(shell.stderr) <= 1 << 20
    assert (await sandbox.run_python("1 + 1")).value == "2"


async def test_two_sandboxes_cannot_see_each_other(make_sandbox: MakeSandbox) -> None:
    a = await make_sandbox()
    b = await make_sandbox()
    marker = f"secret-{uuid.uuid4().hex}"
    await a.write_file(f"{marker}.txt", "for a only")
    await a.run_shell(f"sleep 300 & echo {marker} > /tmp/{marker}")
    assert f"{marker}.txt" in [f.path for f in await a.list_files()]  # A sees its own
    # Searched from Python: the code travels over the protocol, not in any command line.
    seen = await b.run_python(
        "import os\n"
        "names = [n for top in ('/work', '/tmp', '/var', '/home', '/dev/shm')"
        " for _, dirs, files in os.walk(top) for n in dirs + files]\n"
        "cmdlines = []\n"
        "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "    try:\n"
        "        cmdlines.append(open(f'/proc/{pid}/cmdline', 'rb').read())\n"
        "    except OSError:\n"
        "        pass\n"
        "(names, [c for c in cmdlines if c.split(b'\\0')[0].endswith(b'sleep')])"
    )
    names, sleepers = eval(seen.value or "")
    assert not [n for n in names if marker in n]
    assert sleepers == []
    assert [f.path for f in await b.list_files()] == []
