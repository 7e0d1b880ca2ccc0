"""Build the default sandbox image with no registry: debootstrap a minimal Debian, then import.

``docker import`` of a ``debootstrap --variant=minbase --include=python3`` root filesystem
gives an image with Debian's python3 and nothing else, built from package mirrors alone. The
sandbox user is written straight into the root filesystem's ``/etc/passwd`` and ``/etc/group``
(no package needed), and the image's config (user, work dir, environment) comes from
``docker import --change`` instructions. ``sandbox/images/Dockerfile`` builds the same image
from a registry's ``debian:bookworm-slim``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agenthost.errors import AgentHostError

DEFAULT_IMAGE = "agenthost-sandbox:py3"
DEFAULT_SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
SANDBOX_UID = 65532  # the distroless "nonroot" id: no account on a typical host uses it
SANDBOX_USER = "sandbox"
WORKDIR = "/work"
# Bumped whenever the image's content changes: ci-engine.sh rebuilds an image whose
# org.agenthost.image.version label differs, so a cached image never goes stale.
IMAGE_VERSION = "2"

log = logging.getLogger("agenthost.docker")

# Trimmed after debootstrap: nothing in a sandbox reads them and they are a third of the size.
_TRIM = (
    "var/cache/apt/archives",
    "var/cache/apt/pkgcache.bin",
    "var/cache/apt/srcpkgcache.bin",
    "var/lib/apt/lists",
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/log",
)


class ImageBuildError(AgentHostError):
    """The sandbox image could not be built (the message says which step and why)."""


def image_changes(uid: int = SANDBOX_UID) -> list[str]:
    """Dockerfile instructions applied by ``docker import`` (the image's runtime config)."""
    return [
        f"USER {uid}:{uid}",
        f"WORKDIR {WORKDIR}",
        f"ENV HOME={WORKDIR}",
        "ENV LANG=C.UTF-8",
        "ENV PYTHONDONTWRITEBYTECODE=1",
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LABEL org.agenthost.image=sandbox",
        f"LABEL org.agenthost.image.version={IMAGE_VERSION}",
        'CMD ["python3"]',
    ]


def finish_rootfs(rootfs: Path, uid: int = SANDBOX_UID, name: str = SANDBOX_USER) -> None:
    """Give the sandbox user an entry in ``/etc/passwd`` and ``/etc/group`` and a home, and
    make ``python`` mean ``python3`` (code and tools written for other images call it)."""
    python = rootfs / "usr/bin/python"
    if not python.exists() and not python.is_symlink():
        python.symlink_to("python3")
    passwd, group = rootfs / "etc/passwd", rootfs / "etc/group"
    if f":{uid}:" not in passwd.read_text():
        with passwd.open("a") as f:
            f.write(f"{name}:x:{uid}:{uid}:agenthost sandbox:{WORKDIR}:/usr/sbin/nologin\n")
    if f":{uid}:" not in group.read_text():
        with group.open("a") as f:
            f.write(f"{name}:x:{uid}:\n")
    home = rootfs / WORKDIR.lstrip("/")
    home.mkdir(exist_ok=True)
    os.chown(home, uid, uid)
    home.chmod(0o700)


def debootstrap(
    rootfs: Path,
    *,
    suite: str = DEFAULT_SUITE,
    mirror: str = DEFAULT_MIRROR,
    packages: Sequence[str] = (),
) -> None:
    """``debootstrap --variant=minbase`` with python3 (and ``packages``) into ``rootfs``."""
    exe = shutil.which("debootstrap")
    if exe is None:
        raise ImageBuildError(
            "debootstrap is not installed; on Debian/Ubuntu: apt-get install -y debootstrap"
        )
    if os.geteuid() != 0:
        raise ImageBuildError("debootstrap needs root: run `agenthost sandbox build-image` as root")
    include = ",".join(["python3", *packages])
    argv = [exe, "--variant=minbase", f"--include={include}", suite, str(rootfs), mirror]
    log.info("building the sandbox root filesystem: %s", " ".join(argv))
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-15:])
        raise ImageBuildError(f"debootstrap failed (exit {proc.returncode}):\n{tail}")


def trim(rootfs: Path) -> None:
    """Drop package caches, docs and logs that no sandbox reads."""
    for rel in _TRIM:
        path = rootfs / rel
        if path.is_dir() and not path.is_symlink():
            for child in path.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        elif path.exists():
            path.unlink()


def import_rootfs(client: Any, rootfs: Path, tag: str, uid: int = SANDBOX_UID) -> str:
    """Stream ``rootfs`` as a tar into ``docker import`` (no temporary tarball); the image id."""
    repository, _, version = tag.rpartition(":")
    if not repository or "/" in version:
        repository, version = tag, "latest"
    tar = subprocess.Popen(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert tar.stdout is not None

    def chunks() -> Any:
        while block := tar.stdout.read(1 << 20):  # type: ignore[union-attr]
            yield block

    try:
        out = client.api.import_image(
            src=chunks(),
            repository=repository,
            tag=version,
            changes=image_changes(uid),
            stream_src=True,
        )
    finally:
        tar.stdout.close()
        err = tar.stderr.read().decode(errors="replace") if tar.stderr else ""
        code = tar.wait()
    if code != 0:
        raise ImageBuildError(f"tar of {rootfs} failed (exit {code}): {err.strip()}")
    if "error" in str(out).lower():
        raise ImageBuildError(f"docker import of {tag} failed: {out}")
    return str(client.images.get(tag).id)


def build_image(
    tag: str = DEFAULT_IMAGE,
    *,
    suite: str = DEFAULT_SUITE,
    mirror: str = DEFAULT_MIRROR,
    packages: Sequence[str] = (),
    workdir: str | None = None,
    client: Any = None,
    bootstrap: Callable[[Path], None] | None = None,
) -> str:
    """Build ``tag`` from Debian packages (no registry); returns the image id.

    ``bootstrap(rootfs)`` replaces the debootstrap step (it must leave a root filesystem with
    python3 in ``rootfs``): for other suites' tooling, and for tests.
    """
    import docker

    client = client or docker.from_env()
    base = workdir or os.environ.get("TMPDIR") or "/var/tmp"
    with tempfile.TemporaryDirectory(prefix="agenthost-rootfs-", dir=base) as tmp:
        rootfs = Path(tmp) / "rootfs"
        if bootstrap is None:
            debootstrap(rootfs, suite=suite, mirror=mirror, packages=packages)
        else:
            bootstrap(rootfs)
        finish_rootfs(rootfs)
        trim(rootfs)
        log.info("importing %s as %s", rootfs, tag)
        previous = _image_id(client, tag)
        image_id = import_rootfs(client, rootfs, tag)
    if previous and previous != image_id:
        with contextlib.suppress(Exception):  # still used by a container: leave it
            client.images.remove(previous)
    return image_id


def _image_id(client: Any, tag: str) -> str | None:
    try:
        return str(client.images.get(tag).id)
    except Exception:
        return None
