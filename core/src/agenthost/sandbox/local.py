"""The ``local`` backend: the executor as a subprocess inside bubblewrap — or, only when the
profile says ``isolation = "none"``, with no isolation at all.

With ``bwrap`` (Debian/Ubuntu package ``bubblewrap``) each sandbox gets new PID, IPC, UTS and
network namespaces (only loopback inside unless ``network = true``), a read-only view of the
system (/usr, /etc and the Python installation), a private tmpfs work dir (``/workspace``) and
``/tmp``, and dies with the host. Resource limits are rlimits the executor sets on itself
(address space, file size, open files, CPU time, processes).

- Host running as root (containers, CI): bwrap runs privileged (no user namespace) and the
  executor drops to a random unprivileged uid of its own before serving, so rlimits on
  processes count per sandbox and root-only files stay closed.
- Host running as a user: bwrap creates a user namespace (``--unshare-user``) and forbids
  nested ones (``--disable-userns``, bwrap >= 0.8).

Fail closed: without a working bwrap a profile refuses to start (the error names the fixes)
unless it opts out with ``isolation = "none"``. Then the executor is a plain subprocess —
never root when the host is (it refuses instead), a scrubbed environment, and a launcher
process between it and the host so its parent holds no secrets in its environment.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from .backend import (
    SandboxBackend,
    SandboxSpec,
    SubprocessExecutor,
    bootstrap_command,
    compile_executor,
    executor_source,
)
from .bwrap import (
    BwrapSupport,
    namespace_flags,
    probe_bwrap,
    seccomp_fd,
    system_mounts,
)
from .errors import SandboxStartError
from .options import MiB, SandboxOptions, parse_size

log = logging.getLogger("agenthost.sandbox")

WORKDIR = "/workspace"
EXECUTOR_DIR_INSIDE = "/.agenthost"
UID_RANGE = (2_000_000, 2_000_000 + (1 << 24))  # far from real users; random per sandbox
STREAM_LIMIT = 4 * MiB


class LocalOptions(SandboxOptions):
    """``[sandboxes.NAME]`` keys of the ``local`` backend."""

    isolation: Literal["bwrap", "none"] = Field(
        default="bwrap",
        description='bwrap: refuse to run code without a working bubblewrap; "none": NO '
        "ISOLATION, a plain subprocess sharing the host's files and network (trusted code only)",
    )
    python: str | None = Field(
        default=None, description="interpreter in the sandbox (default: the host's own)"
    )
    workdir_size: int = Field(default=512 * MiB, description="size of the work dir (bwrap)")
    tmp_size: int = Field(default=64 * MiB, description="size of /tmp (bwrap)")
    ro_binds: list[str] = Field(
        default_factory=list, description="extra host paths shown read-only (bwrap)"
    )

    @field_validator("workdir_size", "tmp_size", mode="before")
    @classmethod
    def _local_sizes(cls, value: Any) -> Any:
        return parse_size(value)

    @field_validator("python")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        if value is not None and not os.path.isabs(value):
            raise ValueError("give the interpreter as an absolute path (no PATH lookup, no shims)")
        return value


# --------------------------------------------------------------------------- the backend


class LocalBackend(SandboxBackend):
    """Sandboxes as local subprocesses, inside bubblewrap when it works here."""

    name = "local"
    Options = LocalOptions

    def __init__(self, options: SandboxOptions) -> None:
        super().__init__(options)
        self.opts: LocalOptions = (
            options if isinstance(options, LocalOptions) else LocalOptions(**options.model_dump())
        )
        self.python = self.opts.python or _host_python()
        self._bwrap: BwrapSupport | None = None
        self._python_paths: list[str] | None = None
        self._exec_dir: str | None = None
        self._exec_dir_private = False

    @classmethod
    def isolation(cls) -> str:
        support = probe_bwrap(False)
        if support.works:
            nested = "no nested user namespaces; " if _no_nested_userns(support) else ""
            return (
                f"bubblewrap ({support.detail}): own PID, network, IPC and mount namespaces, "
                f"read-only system, private work dir; {nested}rlimits"
            )
        return (
            f"no isolation available here ({support.detail}): profiles refuse to run code "
            'unless they set isolation = "none"'
        )

    @property
    def uses_bwrap(self) -> bool:
        return bool(self._bwrap and self._bwrap.works)

    async def start(self) -> None:
        if self.opts.isolation == "none":
            self._bwrap = BwrapSupport(False, 'isolation = "none" in the profile')
        else:
            support = await asyncio.to_thread(probe_bwrap, self.opts.network)
            if not support.works:
                raise SandboxStartError(no_isolation_error(support.detail))
            self._bwrap = support
        if self._exec_dir is None:
            self._exec_dir = await asyncio.to_thread(self._prepare_executor)
        if not self._bwrap.works:
            await asyncio.to_thread(self._check_unisolated)
        if self._bwrap.works:
            self._python_paths = await asyncio.to_thread(_python_paths, self.python)
        else:
            if os.geteuid() != 0:
                _undumpable_host()
            log.warning(
                'local sandboxes with NO ISOLATION (isolation = "none"): %s; see docs/sandbox.md',
                self._unisolated_detail(),
            )

    def _check_unisolated(self) -> None:
        """Without bwrap, refuse to hand root to sandboxed code: a root host drops the sandbox
        to a uid of its own, which needs an interpreter other users can run."""
        if os.geteuid() == 0 and not runnable_by_others(self.python, self._executor_dir()):
            raise SandboxStartError(
                f'isolation = "none" and the host runs as root, but other users cannot run the '
                f"interpreter {self.python}, so the sandbox would run as root. Set python = "
                '"/usr/bin/python3" (any interpreter all users can run) in the profile, or '
                "install bubblewrap (apt-get install bubblewrap)"
            )

    def _unisolated_detail(self) -> str:
        who = (
            "a uid of its own per sandbox"
            if os.geteuid() == 0
            else f"the host's own user (uid {os.geteuid()}): it can read and change whatever "
            "that user can (the host is non-dumpable, so not its memory or environment)"
        )
        return (
            "a plain subprocess sharing the host's files, network and process table; runs as "
            f"{who}; clean environment; a launcher with no secrets is its parent"
        )

    def _prepare_executor(self) -> str:
        self._exec_dir_private = False
        shared = _shared_executor_dir(self.python)
        if shared is not None:
            return shared
        directory = tempfile.mkdtemp(prefix="agenthost-executor-")
        self._exec_dir_private = True
        try:
            compile_executor(directory, self.python)
        except (OSError, subprocess.SubprocessError) as exc:
            # Still works, from source: each start then compiles the file (~5 ms).
            log.warning("cannot precompile the sandbox executor for %s: %s", self.python, exc)
            os.chmod(directory, 0o755)
        return directory

    def _executor_dir(self) -> str:
        assert self._exec_dir is not None, "LocalBackend.start() was not awaited"
        return self._exec_dir

    async def close(self) -> None:
        if self._exec_dir is not None and self._exec_dir_private:
            path, self._exec_dir = self._exec_dir, None
            await asyncio.to_thread(shutil.rmtree, path, True)

    def describe(self) -> dict[str, Any]:
        if self._bwrap is None:
            if self.opts.isolation == "none":
                return {"backend": self.name, "isolation": f"no isolation: {NONE_SUMMARY}"}
            return {"backend": self.name, "isolation": self.isolation()}
        if not self._bwrap.works:
            text = f"no isolation ({self._bwrap.detail}): {self._unisolated_detail()}"
            return {"backend": self.name, "mode": "none", "isolation": text, "python": self.python}
        return {
            "backend": self.name,
            "mode": "bwrap",
            "isolation": self.isolation(),
            "python": self.python,
        }

    async def spawn(self, spec: SandboxSpec) -> LocalExecutor:
        if self._bwrap is None:
            await self.start()
        if self.uses_bwrap:
            return await self._spawn_bwrap(spec)
        return await self._spawn_plain(spec)

    # -- bwrap -------------------------------------------------------------------------------

    def bwrap_argv(self, command: list[str], seccomp: int | None = None) -> list[str]:
        """The bwrap command line this profile runs ``command`` under (after ``start()``),
        with the seccomp filter read from fd ``seccomp`` when given."""
        assert self._bwrap is not None and self._python_paths is not None
        o = self.opts
        argv = [self._bwrap.binary, *namespace_flags(o.network, self._bwrap.flags)]
        if seccomp is not None:
            argv += ["--seccomp", str(seccomp)]
        argv += ["--hostname", "sandbox"]
        if os.geteuid() == 0:
            # Privileged bwrap keeps no capabilities but these two, which the executor uses
            # to switch to its own uid before it serves anything, then loses for good.
            argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        argv += system_mounts()
        if o.network:
            argv += ["--ro-bind-try", "/run/systemd/resolve", "/run/systemd/resolve"]
        argv += ["--perms", "1777", "--size", str(o.tmp_size), "--tmpfs", "/tmp"]
        # POSIX semaphores and shared memory (multiprocessing) live in /dev/shm.
        argv += ["--perms", "1777", "--size", str(o.tmp_size), "--tmpfs", "/dev/shm"]
        argv += ["--perms", "1777", "--size", str(o.workdir_size), "--tmpfs", WORKDIR]
        binds = [*self._python_paths, *o.ro_binds]
        made: set[str] = {"/", "/usr", "/etc", "/tmp", WORKDIR}
        for path in binds:
            for parent in reversed(Path(path).parents):
                if str(parent) not in made:
                    made.add(str(parent))
                    argv += ["--perms", "0755", "--dir", str(parent)]
        for path in binds:
            argv += ["--ro-bind", path, path]
        argv += ["--ro-bind", self._executor_dir(), EXECUTOR_DIR_INSIDE, "--chdir", WORKDIR]
        return [*argv, "--", *command]

    async def _spawn_bwrap(self, spec: SandboxSpec) -> LocalExecutor:
        assert self._bwrap is not None
        root = os.geteuid() == 0
        uid = random.randrange(*UID_RANGE) if root else os.getuid()
        env = self._env(WORKDIR, "/tmp", uid if root else None, pids=True)
        command = bootstrap_command(self.python, EXECUTOR_DIR_INSIDE, WORKDIR)
        with seccomp_fd() if self._bwrap.seccomp else contextlib.nullcontext() as fd:
            argv = self.bwrap_argv(command, fd)
            proc = await _exec(argv, env, cwd="/", pass_fds=() if fd is None else (fd,))
        info = {
            "isolation": "bwrap",
            "detail": self._bwrap.detail,
            "uid": uid,
            "network": "host" if self.opts.network else "loopback only",
            "limits": self._limits(pids=True),
            "nested_user_namespaces": "refused" if _no_nested_userns(self._bwrap) else "allowed",
        }
        return LocalExecutor(proc, info)

    # -- plain subprocess ----------------------------------------------------------------------

    async def _spawn_plain(self, spec: SandboxSpec) -> LocalExecutor:
        base = await asyncio.to_thread(tempfile.mkdtemp, prefix=f"agenthost-{spec.sandbox_id}-")
        work, tmp = os.path.join(base, "work"), os.path.join(base, "tmp")
        os.mkdir(work, 0o700)
        os.mkdir(tmp, 0o700)
        uid = None
        executor_dir = self._executor_dir()
        if os.geteuid() == 0:  # start() made sure a uid of its own can run the interpreter
            uid = random.randrange(*UID_RANGE)
            for path in (base, work, tmp):
                os.chown(path, uid, uid)
        env = self._env(work, tmp, uid, pids=uid is not None)
        env["AGENTHOST_PDEATHSIG"] = "1"
        # The executor's parent becomes a launcher forked before it serves, holding only this
        # environment: /proc/PPID/environ shows the sandbox nothing of the host's.
        env["AGENTHOST_LAUNCHER"] = "1"
        try:
            proc = await _exec(bootstrap_command(self.python, executor_dir, work), env, work)
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        info = {
            "isolation": "none",
            "detail": f"no isolation: {self._unisolated_detail()}",
            "uid": uid if uid is not None else os.geteuid(),
            "network": "host (not blocked without bwrap)",
            "limits": self._limits(pids=uid is not None),
        }
        return LocalExecutor(proc, info, cleanup=base, uid=uid)

    # -- shared ------------------------------------------------------------------------------

    def _env(self, home: str, tmp: str, uid: int | None, *, pids: bool) -> dict[str, str]:
        # Never the host's environment: it holds the host's secrets (API keys...).
        bin_dir = os.path.dirname(self.python)
        env = {
            "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
            "HOME": home,
            "TMPDIR": tmp,
            "LANG": "C.UTF-8",
            "USER": "sandbox",
            "MPLBACKEND": "Agg",
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.opts.env,
        }
        limits = self._limits(pids=pids)
        env["AGENTHOST_RLIMITS"] = ",".join(
            f"{name}={value}" for name, value in _rlimit_names(limits).items()
        )
        if uid is not None:
            env["AGENTHOST_DROP_UID"] = str(uid)
        return env

    def _limits(self, *, pids: bool) -> dict[str, Any]:
        o = self.opts
        why = "the sandbox shares the host user's process count"
        return {
            "memory": o.memory,
            "file_size": o.file_size,
            "open_files": o.open_files,
            "cpu_time": o.cpu_time,
            "pids": o.pids if pids else f"not enforced without bwrap: {why}",
            "cpus": "not enforced by the local backend",
        }


NONE_SUMMARY = (
    "a plain subprocess sharing the host's files, network and process table (trusted code only)"
)


def no_isolation_error(detail: str) -> str:
    """Why a profile that wants bwrap cannot start, and the three ways out."""
    return (
        f"no isolation available: {detail}. Fix it by one of: install bubblewrap "
        "(Debian/Ubuntu: apt-get install bubblewrap); use the docker backend (backend = "
        '"docker", from the agenthost-docker distribution); or, for trusted code only, opt out '
        'of isolation with isolation = "none" in the profile'
    )


def _no_nested_userns(support: BwrapSupport) -> bool:
    return support.seccomp or "--disable-userns" in support.flags


def _rlimit_names(limits: dict[str, Any]) -> dict[str, int]:
    names = {"memory": "as", "file_size": "fsize", "open_files": "nofile", "cpu_time": "cpu"}
    out = {names[k]: v for k, v in limits.items() if k in names and isinstance(v, int)}
    if isinstance(limits.get("pids"), int):
        out["nproc"] = limits["pids"]
    return out


class LocalExecutor(SubprocessExecutor):
    """A local executor; also removes its scratch dir and, when it ran under its own uid
    without bwrap, kills whatever that uid left running."""

    def __init__(
        self,
        proc: asyncio.subprocess.Process,
        info: dict[str, Any],
        *,
        cleanup: str | None = None,
        uid: int | None = None,
    ) -> None:
        super().__init__(proc, {**info, "pid": proc.pid})
        self._cleanup = cleanup
        self._uid = uid

    async def kill(self) -> None:
        await super().kill()
        if self._uid is not None:
            await asyncio.to_thread(_kill_uid, self._uid)
        if self._cleanup is not None:
            path, self._cleanup = self._cleanup, None
            await asyncio.to_thread(shutil.rmtree, path, True)


async def _exec(
    argv: list[str], env: dict[str, str], cwd: str, pass_fds: tuple[int, ...] = ()
) -> asyncio.subprocess.Process:
    try:
        return await asyncio.create_subprocess_exec(
            *argv,
            pass_fds=pass_fds,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group: kill() takes all of it
            limit=STREAM_LIMIT,
        )
    except OSError as exc:
        raise SandboxStartError(f"cannot start {argv[0]}: {exc}") from None


def _host_python() -> str:
    # sys.executable keeps a venv's symlink (so the venv's packages are seen) and is never a
    # pyenv shim; a shim would cost ~120 ms a spawn.
    exe = sys.executable
    if not exe or not os.path.isabs(exe):
        raise SandboxStartError("cannot tell which Python runs the host; set python = '/abs/path'")
    return exe


def _python_paths(python: str) -> list[str]:
    """Host directories the interpreter needs, outside /usr and /etc (bound read-only)."""
    if python == sys.executable:
        found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    else:
        code = "import sys; print(sys.prefix, sys.base_prefix, sys.exec_prefix, sep='\\n')"
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            raise SandboxStartError(f"cannot run {python}: {out.stderr.strip()}")
        found = out.stdout.split()
    found += [os.path.dirname(python), os.path.dirname(os.path.realpath(python))]
    paths: list[str] = []
    for path in sorted({os.path.realpath(p) for p in found} | {os.path.abspath(p) for p in found}):
        if not os.path.isdir(path) or path in ("/",):
            continue
        if any(path == top or path.startswith(top + "/") for top in ("/usr", "/etc", *paths)):
            continue
        paths.append(path)
    return paths


def _shared_executor_dir(python: str) -> str | None:
    """The executor with its bytecode for ``python``, in a directory of the temp dir shared by
    this user's hosts (keyed by content, so it is made once and never litters). None when it
    cannot be made or someone else owns the name: then each backend makes a private one."""
    source = executor_source()
    key = hashlib.sha256(source + python.encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"agenthost-executor-{os.geteuid()}-{key}")
    if _trusted_executor_dir(path, source):
        return path
    try:
        staging = tempfile.mkdtemp(prefix="agenthost-executor-")
    except OSError:
        return None
    try:
        compile_executor(staging, python)
        os.rename(staging, path)  # atomic; fails when another host made it first: fine
    except (OSError, subprocess.SubprocessError):
        shutil.rmtree(staging, ignore_errors=True)
    return path if _trusted_executor_dir(path, source) else None


def _trusted_executor_dir(path: str, source: bytes) -> bool:
    """Ours, written by no one else, and holding this very executor."""
    try:
        for root, _dirs, files in os.walk(path):
            for entry in [root, *(os.path.join(root, f) for f in files)]:
                st = os.lstat(entry)
                if st.st_uid != os.geteuid() or st.st_mode & 0o022 or stat.S_ISLNK(st.st_mode):
                    return False
        with open(os.path.join(path, "executor.py"), "rb") as file:
            return file.read() == source
    except OSError:
        return False


def runnable_by_others(*files: str) -> bool:
    """Whether a uid with no special rights can run ``files`` (every parent dir o+x)."""
    for file in files:
        for path in [file, os.path.realpath(file)]:
            parents = Path(path).parents
            try:
                if any(not os.stat(p).st_mode & stat.S_IXOTH for p in parents):
                    return False
                if not os.stat(path).st_mode & stat.S_IROTH:
                    return False
            except OSError:
                return False
    return True


def _undumpable_host() -> None:
    """Mark the host process non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``, as ssh-agent does):
    its ``/proc`` entries (environ, mem, fd) then belong to root, so a sandbox running as the
    host's own user cannot read the host's environment or memory."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
        raise SandboxStartError(
            "cannot mark the host non-dumpable (prctl PR_SET_DUMPABLE failed: "
            f"{os.strerror(ctypes.get_errno())}); refusing to run sandboxes that could read the "
            "host's environment: install bubblewrap"
        )
    log.info("the host is now non-dumpable: same-user sandboxes cannot read its /proc entries")


def _kill_uid(uid: int) -> None:
    """Kill every process running as ``uid`` (a per-sandbox uid nobody else uses)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                os.kill(int(entry), signal.SIGKILL)
        except OSError:
            continue
