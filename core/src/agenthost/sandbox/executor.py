"""agenthost in-sandbox executor: one stdlib-only file, run as ``python -u executor.py [WORKDIR]``
(or imported from a ``-c`` bootstrap, which lets Python use its cached bytecode; see
``BOOTSTRAP`` in ``backend.py``).

It speaks a framed protocol on its stdin/stdout. Each frame is an 8-byte header (two
big-endian uint32: JSON length, blob length), a UTF-8 JSON object, then the blob (raw bytes:
file contents, output chunks, images).

On start it sends ``{"op": "hello", ...}``. Then, one request at a time::

    host → {"id": 7, "op": "python", "code": "...", "max_output": 1048576}
    exec → {"id": 7, "op": "out", "stream": "stdout"} + blob      (any number, as printed)
    exec → {"id": 7, "op": "artifact", "name": "...", "mime": "image/png"} + blob
    exec → {"id": 7, "op": "done", "value": "2", "error": null, "truncated": false, ...}

Ops: python (code), shell (command, cwd, env), write (path, blob), read (path, limit),
list (path, recursive), remove (path, recursive), ping. File paths are confined to the work
directory: no ``..``, no absolute path outside it, no symlink anywhere on the way.

Anything the user's code writes to file descriptors 1 and 2 (a subprocess, C code) is caught
by pipes and forwarded too, so nothing but frames ever reaches the real stdout.

Environment read once at start (then removed): ``AGENTHOST_DROP_UID`` (switch to this uid
and gid first), ``AGENTHOST_RLIMITS`` (``name=value,...`` with names as, nproc, fsize,
nofile, cpu), ``AGENTHOST_PDEATHSIG`` (when the parent dies, kill this process group),
``AGENTHOST_LAUNCHER`` (fork first: the parent stays as a launcher that holds only this clean
environment, waits for the executor and passes on how it ended).
"""

import _ast
import _struct
import _thread
import builtins
import errno
import io
import os
import select
import stat
import sys
import time

# Startup time is part of every cold sandbox: use the C modules behind json, ast, struct and
# threading directly (their Python wrappers import re, enum and friends: ~5 ms), and import
# traceback/linecache only when an error needs them.
try:
    import _json

    class _Context:
        strict = True
        object_hook = None
        object_pairs_hook = None
        parse_float = float
        parse_int = int
        parse_constant = float
        memo: dict = {}

    _scan = _json.make_scanner(_Context())  # type: ignore[arg-type]
    _encode = _json.make_encoder(
        None,
        None,  # type: ignore[arg-type]
        _json.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,
        False,
        True,
    )

    def loads(text):
        try:
            value, end = _scan(text, 0)
        except StopIteration:
            raise ValueError("not JSON") from None
        if text[end:].strip():
            raise ValueError("extra data after the JSON value")
        return value

    def dumps(value):
        return "".join(_encode(value, 0))

    _probe = {"a": [1, 2.5, "\u00e9\n", None, True]}
    if loads(dumps(_probe)) != _probe:  # a private API: check it still behaves
        raise TypeError("_json behaves differently here")

except (ImportError, AttributeError, TypeError, ValueError):  # the slower, portable path
    from json import dumps as _dumps
    from json import loads  # type: ignore[assignment]

    def dumps(value):
        return _dumps(value, separators=(",", ":"))


PROTOCOL = 1
HEADER = _struct.Struct(">II")
MAX_REQUEST = 1 << 30
FLUSH_INTERVAL = 0.02  # seconds: coalesce bursts of prints, stream sporadic ones at once
SHELL_GRACE = 0.05  # seconds to drain pipes once a shell command has exited


class PathError(Exception):
    """A path outside the work directory (reported to the host as PathOutsideWorkdir)."""


class Channel:
    """Frames in on ``fd_in``, out on ``fd_out``; writes are serialised by a lock."""

    def __init__(self, fd_in, fd_out):
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.buf = bytearray()
        self.lock = _thread.allocate_lock()

    def send(self, header, blob=b""):
        data = dumps(header).encode()
        frame = HEADER.pack(len(data), len(blob)) + data + blob
        with self.lock:
            view = memoryview(frame)
            while view:
                n = os.write(self.fd_out, view)
                view = view[n:]

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = os.read(self.fd_in, max(65536, n - len(self.buf)))
            if not chunk:
                raise EOFError
            self.buf += chunk

    def recv(self):
        self._fill(HEADER.size)
        jlen, blen = HEADER.unpack_from(self.buf)
        if jlen + blen > MAX_REQUEST:
            raise EOFError
        total = HEADER.size + jlen + blen
        self._fill(total)
        header = loads(bytes(self.buf[HEADER.size : HEADER.size + jlen]).decode())
        blob = bytes(self.buf[HEADER.size + jlen : total])
        del self.buf[:total]
        return header, blob


class Call:
    """The request being served: its output cap, the truncated flag, and its end.

    Output may come from any thread (a user's background thread printing, the pump); the
    lock makes sure none of it is sent after the call's ``done`` frame.
    """

    def __init__(self, channel, call_id, max_output):
        self.channel = channel
        self.id = call_id
        self.left = max_output
        self.truncated = False
        self.finished = False
        self.lock = _thread.allocate_lock()

    def output(self, stream, data):
        if not data:
            return
        with self.lock:
            if self.finished:
                return
            if len(data) > self.left:
                data = data[: self.left]
                self.truncated = True
            self.left -= len(data)
            if data:
                self.channel.send({"id": self.id, "op": "out", "stream": stream}, data)

    def finish(self, reply, blob):
        with self.lock:
            self.finished = True
            reply["truncated"] = self.truncated
            self.channel.send(reply, blob)


class Executor:
    def __init__(self, workdir, parent=None):
        self.workdir = os.path.realpath(workdir)
        self.pid = os.getpid()
        self.parent = parent  # watched: when it is gone, this process group goes too
        if __name__ == "__main__":  # run as a script: this module is __main__, keep apart
            self.namespace = {"__name__": "__main__", "__builtins__": builtins}
        else:  # imported by a bootstrap: the user's cells live in the real __main__, so
            # pickle and multiprocessing find the functions and classes they define
            self.namespace = sys.modules["__main__"].__dict__
        self.cells = 0
        self.sources = {}
        self.call = None
        self.pump_lock = _thread.allocate_lock()
        self._setup_fds()
        self.writers = {
            "stdout": StreamWriter(self, "stdout"),
            "stderr": StreamWriter(self, "stderr"),
        }
        sys.stdout = self.writers["stdout"]
        sys.stderr = self.writers["stderr"]
        sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
        os.register_at_fork(after_in_child=self._after_fork)
        _thread.start_new_thread(self._pump, ())

    # -- file descriptors -----------------------------------------------------------------

    def _setup_fds(self):
        # Keep the protocol on private descriptors (close-on-exec), and give fds 0-2 to the
        # user: /dev/null in, pipes out, so os.system() or C code cannot corrupt a frame.
        proto_in = os.dup(0)
        proto_out = os.dup(1)
        self.channel = Channel(proto_in, proto_out)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        self.pipes = {}
        for fd, name in ((1, "stdout"), (2, "stderr")):
            r, w = os.pipe()
            os.dup2(w, fd)
            os.close(w)
            os.set_blocking(r, False)
            self.pipes[r] = name

    def _pump(self):
        readers = list(self.pipes)
        while True:
            if self.parent is not None and os.getppid() != self.parent:
                self._orphaned()
            try:
                ready, _, _ = select.select(readers, [], [], 0.05)
            except InterruptedError:
                continue
            with self.pump_lock:
                self._drain(ready)
                for writer in self.writers.values():
                    writer.flush_if_pending()

    def _orphaned(self):
        # Watching the parent means nothing else (bwrap, a container) takes down what this
        # executor started when the host goes: do it here, for the whole process group.
        # (Cheaper at start than prctl(PR_SET_PDEATHSIG) through ctypes.)
        if self.parent is not None:
            os.killpg(0, 9)
            os._exit(1)

    def _drain(self, fds):
        for fd in fds:
            while True:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if not data:
                    break
                call = self.call
                if call is not None:
                    call.output(self.pipes[fd], data)

    def sync_output(self):
        """Everything printed so far goes out before the call's ``done`` frame."""
        with self.pump_lock:
            for writer in self.writers.values():
                writer.flush()
            self._drain(list(self.pipes))

    def _after_fork(self):
        # A forked child must not write frames: its prints go to fds 1/2 (the pipes).
        self.channel = None  # type: ignore[assignment]
        for name, writer in self.writers.items():
            writer.child_fd = 1 if name == "stdout" else 2

    # -- requests ----------------------------------------------------------------------------

    def serve(self):
        self.channel.send(
            {
                "op": "hello",
                "protocol": PROTOCOL,
                "pid": self.pid,
                "uid": os.getuid(),
                "python": sys.version.split()[0],
                "executable": sys.executable,
                "workdir": self.workdir,
            }
        )
        while True:
            try:
                request, blob = self.channel.recv()
            except EOFError:  # the host closed the pipe, or died
                self._orphaned()
                return
            call_id = request.get("id")
            self.call = Call(self.channel, call_id, int(request.get("max_output") or 1 << 20))
            started = time.perf_counter()
            try:
                reply = self.dispatch(request, blob)
                reply_blob = reply.pop("_blob", b"")
            except PathError as exc:
                reply, reply_blob = {"error": _error("PathOutsideWorkdir", str(exc))}, b""
            except Exception as exc:  # a failed file op or a bad request: report, keep serving
                reply, reply_blob = {"error": _error(type(exc).__name__, str(exc))}, b""
            if os.getpid() != self.pid:
                os._exit(0)  # a forked child came back out of the user's code: it must not serve
            self.sync_output()
            reply.update(id=call_id, op="done", duration=time.perf_counter() - started)
            call, self.call = self.call, None
            call.finish(reply, reply_blob)

    def dispatch(self, request, blob):
        op = request.get("op")
        if op == "python":
            return self.run_python(request["code"])
        if op == "shell":
            return self.run_shell(request["command"], request.get("cwd"), request.get("env"))
        if op == "write":
            return self.write_file(request["path"], blob, request.get("append", False))
        if op == "read":
            return self.read_file(request["path"], int(request.get("limit") or 1 << 26))
        if op == "list":
            return self.list_files(request.get("path") or ".", bool(request.get("recursive")))
        if op == "remove":
            return self.remove(request["path"], bool(request.get("recursive")))
        if op == "ping":
            return {"value": "pong"}
        raise ValueError(f"unknown op {op!r}")

    # -- python ------------------------------------------------------------------------------

    def run_python(self, code):
        self.cells += 1
        filename = f"<cell-{self.cells}>"
        self.sources[filename] = code
        value = None
        error = None
        try:
            tree = compile(code, filename, "exec", _ast.PyCF_ONLY_AST)
            body = tree.body  # type: ignore[attr-defined]
            last = None
            if body and isinstance(body[-1], _ast.Expr):
                last = _ast.Expression(body.pop().value)
            exec(compile(tree, filename, "exec"), self.namespace)  # type: ignore[call-overload]
            if last is not None:
                result = eval(compile(last, filename, "eval"), self.namespace)
                if result is not None:
                    self.namespace["_"] = result
                    value = repr(result)
                    self._image_of(result)
        except SyntaxError as exc:
            error = self._error_from(exc, None)
        except BaseException as exc:  # the user's code may raise anything, SystemExit included
            # Drop the executor's own frame: the traceback starts in the user's cell.
            error = self._error_from(exc, exc.__traceback__.tb_next if exc.__traceback__ else None)
        self._figures()
        return {"value": value, "error": error}

    def _error_from(self, exc, tb):
        import linecache
        import traceback

        for filename, source in self.sources.items():
            if filename not in linecache.cache:
                lines = source.splitlines(True)
                linecache.cache[filename] = (len(source), None, lines, filename)
        text = "".join(traceback.format_exception(type(exc), exc, tb))
        return _error(type(exc).__name__, str(exc), text)

    def _image_of(self, obj):
        method = getattr(obj, "_repr_png_", None)
        if callable(method) and not isinstance(obj, type):
            try:
                data = method()
            except Exception:
                return
            if isinstance(data, bytes):
                self._artifact("image.png", "image/png", data)

    def _figures(self):
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is None:
            return
        try:
            for number in pyplot.get_fignums():
                figure = pyplot.figure(number)
                buffer = io.BytesIO()
                figure.savefig(buffer, format="png", bbox_inches="tight")
                self._artifact(f"figure-{self.cells}-{number}.png", "image/png", buffer.getvalue())
            pyplot.close("all")
        except Exception as exc:
            self.writers["stderr"].write(f"[agenthost: could not save figures: {exc}]\n")

    def _artifact(self, name, mime, data):
        self.sync_output()
        call = self.call
        assert call is not None
        header = {"id": call.id, "op": "artifact", "name": name, "mime": mime}
        self.channel.send(header, data)

    # -- shell -------------------------------------------------------------------------------

    def run_shell(self, command, cwd, env):
        import subprocess

        directory = self.resolve(cwd or ".")
        full_env = dict(os.environ)
        full_env.update({str(k): str(v) for k, v in (env or {}).items()})
        proc = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=directory,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None and self.call is not None
        call = self.call
        streams = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
        for fd in streams:
            os.set_blocking(fd, False)
        exited_at = None
        while streams:
            if exited_at is None and proc.poll() is not None:
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > SHELL_GRACE:
                break  # a background child keeps the pipe open: don't wait for it
            ready, _, _ = select.select(list(streams), [], [], 0.05)
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if data:
                    call.output(streams[fd], data)
                else:
                    del streams[fd]
        proc.stdout.close()
        proc.stderr.close()
        return {"exit_code": proc.wait()}

    # -- files -------------------------------------------------------------------------------

    def resolve(self, path):
        """The absolute path of ``path`` inside the work dir (no symlinks are followed)."""
        relative = self._relative(path)
        current = self.workdir
        for part in relative:
            current = os.path.join(current, part)
            try:
                mode = os.lstat(current).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(mode):
                raise PathError(f"{path!r} goes through a symlink; symlinks are not followed")
        return current

    def _relative(self, path):
        if not isinstance(path, str) or not path or "\x00" in path:
            raise PathError(f"{path!r} is not a valid path")
        if os.path.isabs(path):
            normal = os.path.normpath(path)
            if normal != self.workdir and not normal.startswith(self.workdir + os.sep):
                raise PathError(f"{path!r} is outside the work directory {self.workdir}")
            path = os.path.relpath(normal, self.workdir)
        parts = [p for p in path.split("/") if p not in ("", ".")]
        if ".." in parts:
            raise PathError(f"{path!r} contains '..'; paths stay inside the work directory")
        return parts

    def _open_dir_fd(self, parts, create):
        """An fd for the directory ``parts`` under the work dir, refusing symlinks."""
        fd = os.open(self.workdir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts:
                if create and not _exists(part, fd):
                    os.mkdir(part, 0o755, dir_fd=fd)
                try:
                    nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except OSError as exc:
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(part, fd):
                        raise PathError(
                            f"{part!r} is a symlink; symlinks are not followed"
                        ) from None
                    raise
                os.close(fd)
                fd = nxt
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _open_file(self, path, flags, create_parents=False):
        parts = self._relative(path)
        if not parts:
            raise IsADirectoryError(f"{path!r} is the work directory itself")
        dir_fd = self._open_dir_fd(parts[:-1], create_parents)
        try:
            return os.open(parts[-1], flags | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # the last part is a symlink
                raise PathError(f"{path!r} is a symlink; symlinks are not followed") from None
            raise
        finally:
            os.close(dir_fd)

    def write_file(self, path, data, append):
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        fd = self._open_file(path, flags, create_parents=True)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        return {"value": len(data)}

    def read_file(self, path, limit):
        fd = self._open_file(path, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            if size > limit:
                raise ValueError(f"{path!r} is {size} bytes, over the {limit}-byte read limit")
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                limit -= len(chunk)
                if limit < 0:
                    raise ValueError(f"{path!r} grew past the read limit while being read")
        finally:
            os.close(fd)
        return {"value": size, "_blob": b"".join(chunks)}

    def list_files(self, path, recursive):
        parts = self._relative(path)
        entries: list = []
        dir_fd = self._open_dir_fd(parts, create=False)
        try:
            self._walk(dir_fd, "/".join(parts), recursive, entries)
        finally:
            os.close(dir_fd)
        return {"value": entries}

    def _walk(self, dir_fd, prefix, recursive, entries):
        with os.scandir(dir_fd) as it:
            items = sorted(it, key=lambda e: e.name)
        for entry in items:
            st = entry.stat(follow_symlinks=False)
            kind = (
                "dir"
                if stat.S_ISDIR(st.st_mode)
                else "symlink"
                if stat.S_ISLNK(st.st_mode)
                else "file"
            )
            name = f"{prefix}/{entry.name}" if prefix else entry.name
            entries.append({"path": name, "type": kind, "size": st.st_size, "mtime": st.st_mtime})
            if recursive and kind == "dir" and len(entries) < 100_000:
                fd = os.open(
                    entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd
                )
                try:
                    self._walk(fd, name, recursive, entries)
                finally:
                    os.close(fd)

    def remove(self, path, recursive):
        import shutil

        parts = self._relative(path)
        if not parts:
            raise PathError("refusing to remove the work directory itself")
        dir_fd = self._open_dir_fd(parts[:-1], create=False)
        try:
            st = os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                if recursive:
                    shutil.rmtree(self.resolve("/".join(parts)))
                else:
                    os.rmdir(parts[-1], dir_fd=dir_fd)
            else:
                os.unlink(parts[-1], dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        return {"value": None}


class StreamWriter(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` of the user's code: buffered, flushed as frames."""

    def __init__(self, executor, name):
        self.executor = executor
        self.name = name
        self.parts = []
        self.size = 0
        self.last_flush = 0.0
        self.lock = _thread.allocate_lock()
        self.child_fd = None

    encoding = "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return 1 if self.name == "stdout" else 2

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.child_fd is not None:  # in a forked child: through the pipes
            os.write(self.child_fd, text.encode("utf-8", "replace"))
            return len(text)
        with self.lock:
            self.parts.append(text)
            self.size += len(text)
        if self.size > 65536 or (
            "\n" in text and time.monotonic() - self.last_flush > FLUSH_INTERVAL
        ):
            self.flush()
        return len(text)

    def flush_if_pending(self):
        if self.parts:
            self.flush()

    def flush(self):
        with self.lock:
            if not self.parts:
                return
            text = "".join(self.parts)
            self.parts = []
            self.size = 0
            self.last_flush = time.monotonic()
        call = self.executor.call
        if call is not None and self.child_fd is None:
            call.output(self.name, text.encode("utf-8", "replace"))


def _exists(name, dir_fd):
    try:
        os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _is_link(name, dir_fd):
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _error(kind, message, tb=""):
    return {"type": kind, "message": message, "traceback": tb}


def _apply_environment():
    env = os.environ
    uid = env.pop("AGENTHOST_DROP_UID", None)
    limits = env.pop("AGENTHOST_RLIMITS", "")
    watch_parent = bool(env.pop("AGENTHOST_PDEATHSIG", None))
    launcher = bool(env.pop("AGENTHOST_LAUNCHER", None))
    if limits:
        import resource

        for item in limits.split(","):
            name, _, value = item.partition("=")
            number = int(value)
            resource.setrlimit(getattr(resource, "RLIMIT_" + name.upper()), (number, number))
    if uid:
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))
    return watch_parent, launcher


def _launch():
    """Fork. The child returns and serves; the parent stays behind as its launcher, so the
    executor's parent (what ``/proc/PPID/environ`` shows user code) is a process holding only
    the sandbox's own environment, not the host. The launcher takes the process group down
    when the host goes, and ends the way the executor ended."""
    host = os.getppid()
    child = os.fork()
    if child == 0:
        return
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)  # the protocol pipes are the executor's alone: EOF when it exits
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            if os.WIFSIGNALED(status):
                import signal

                sig = os.WTERMSIG(status)
                try:  # noqa: SIM105 - contextlib is not imported here (start-up time)
                    signal.signal(sig, signal.SIG_DFL)  # SIGKILL has no handler to reset
                except (OSError, ValueError):
                    pass
                os.kill(os.getpid(), sig)
                os._exit(128 + sig)
            os._exit(os.WEXITSTATUS(status))
        if os.getppid() != host:
            os.killpg(0, 9)
            os._exit(1)
        time.sleep(0.05)


def main():
    # The executor's own directory is not the user's business.
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    watch_parent, launcher = _apply_environment()
    if launcher:
        _launch()
    workdir = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    Executor(workdir, os.getppid() if watch_parent else None).serve()


if __name__ == "__main__":
    main()
