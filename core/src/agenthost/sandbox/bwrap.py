"""bubblewrap for the ``local`` backend: does it work here, the namespace and system-mount
flags every sandbox gets, and a seccomp filter against nested user namespaces.

Which bwrap: ``$AGENTHOST_BWRAP`` (a path) when set, else ``bwrap`` on ``PATH``. Pointing it at
a path that does not exist is how the tests run a machine without bubblewrap.

The filter is for privileged bwrap (the host runs as root): there bwrap makes no user
namespace, so ``--disable-userns`` is not available, and the sandbox's uid could otherwise
create user namespaces of its own — a large kernel attack surface it has no use for.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

BWRAP_ENV = "AGENTHOST_BWRAP"


@dataclass(frozen=True)
class BwrapSupport:
    """What bwrap can do here: ``flags`` to add (user-namespace ones when not root) and
    whether the seccomp filter loads."""

    works: bool
    detail: str
    flags: tuple[str, ...] = ()
    seccomp: bool = False
    binary: str = "bwrap"


def probe_bwrap(network: bool = False) -> BwrapSupport:
    """Whether bwrap can build a sandbox here, found by building one that runs ``true``
    (cached per binary: ``$AGENTHOST_BWRAP`` or the ``bwrap`` on ``PATH``)."""
    return _probe(network, os.environ.get(BWRAP_ENV) or None, shutil.which("bwrap"))


@functools.lru_cache(maxsize=16)
def _probe(network: bool, configured: str | None, found: str | None) -> BwrapSupport:
    if configured is not None and not os.access(configured, os.X_OK):
        return BwrapSupport(
            False, f"bwrap is not installed: {BWRAP_ENV}={configured} is not an executable"
        )
    bwrap = configured or found
    if bwrap is None:
        return BwrapSupport(False, "bwrap is not installed (no bwrap on PATH)")
    version = _bwrap_version(bwrap)
    candidates: list[tuple[tuple[str, ...], bool]] = (
        [((), True), ((), False)]
        if os.geteuid() == 0
        else [(("--unshare-user", "--disable-userns"), False), (("--unshare-user",), False)]
    )
    error = ""
    for flags, seccomp in candidates:
        with seccomp_fd() if seccomp else contextlib.nullcontext() as fd:
            if seccomp and fd is None:
                continue
            argv = [bwrap, *namespace_flags(network, flags)]
            if fd is not None:
                argv += ["--seccomp", str(fd)]
            argv += [*system_mounts(), "/usr/bin/true"]
            try:
                done = subprocess.run(
                    argv,
                    capture_output=True,
                    text=True,
                    timeout=10,
                    check=False,
                    pass_fds=() if fd is None else (fd,),
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                error = str(exc)
                continue
        if done.returncode == 0:
            return BwrapSupport(True, version, flags, seccomp, bwrap)
        error = done.stderr.strip() or f"exit status {done.returncode}"
    return BwrapSupport(
        False, f"{version} is installed but cannot create a sandbox here: {error}", binary=bwrap
    )


def _bwrap_version(bwrap: str) -> str:
    with contextlib.suppress(Exception):
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "bwrap"
    return "bwrap"


def namespace_flags(network: bool, extra: tuple[str, ...]) -> list[str]:
    flags = ["--die-with-parent", "--new-session", *extra]
    flags += ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not network:
        flags.append("--unshare-net")
    return flags


def system_mounts() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    return [*args, "--ro-bind", "/etc", "/etc", "--dev", "/dev", "--proc", "/proc"]


# --------------------------------------------------------------------------- seccomp

CLONE_NEWUSER = 0x10000000
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_EPERM, _ENOSYS = 1, 38
# (audit arch, clone, unshare, clone3) per machine; others run without the filter.
_ARCH = {
    "x86_64": (0xC000003E, 56, 272, 435),
    "aarch64": (0xC00000B7, 220, 97, 435),
}


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def seccomp_filter() -> bytes | None:
    """A BPF program (``struct sock_filter[]``) refusing new user namespaces: ``unshare`` and
    ``clone`` with CLONE_NEWUSER get EPERM, ``clone3`` (flags out of reach of BPF) ENOSYS so
    libc falls back to ``clone``; other ABIs (x32, 32-bit) are refused outright."""
    arch = _ARCH.get(platform.machine())
    if arch is None:
        return None
    audit, clone, unshare, clone3 = arch
    ld, jeq, jset, jge, ret = 0x20, 0x15, 0x45, 0x35, 0x06
    program = [
        _insn(ld, 0, 0, 4),  # seccomp_data.arch
        _insn(jeq, 1, 0, audit),
        _insn(ret, 0, 0, _ERRNO | _EPERM),
        _insn(ld, 0, 0, 0),  # seccomp_data.nr
        _insn(jge, 0, 1, 0x40000000),  # the x32 ABI
        _insn(ret, 0, 0, _ERRNO | _EPERM),
        _insn(jeq, 0, 1, clone3),
        _insn(ret, 0, 0, _ERRNO | _ENOSYS),
        _insn(jeq, 1, 0, unshare),
        _insn(jeq, 0, 3, clone),
        _insn(ld, 0, 0, 16),  # low 32 bits of args[0]: the flags
        _insn(jset, 0, 1, CLONE_NEWUSER),
        _insn(ret, 0, 0, _ERRNO | _EPERM),
        _insn(ret, 0, 0, _ALLOW),
    ]
    return b"".join(program)


@contextlib.contextmanager
def seccomp_fd() -> Iterator[int | None]:
    """A readable fd holding ``seccomp_filter()`` for ``bwrap --seccomp FD`` (None: no filter)."""
    program = seccomp_filter()
    if program is None:
        yield None
        return
    read, write = os.pipe()
    try:
        os.write(write, program)  # a few hundred bytes: fits any pipe buffer
        os.close(write)
        write = -1
        yield read
    finally:
        os.close(read)
        if write != -1:
            os.close(write)
