"""The no-registry image build and `agenthost sandbox build-image`.

The build test replaces only the debootstrap step (a minute and a Debian mirror) with the
root filesystem of the image already on the engine; everything after it — the sandbox user,
the trim, the streamed ``docker import`` and its config changes — runs for real. CI builds the
image itself with debootstrap through the same command (sandbox/images/ci-engine.sh).
"""

from __future__ import annotations

import os
import re
import tarfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from agenthost.cli import build_parser, main
from agenthost_docker import DEFAULT_IMAGE, build_image
from agenthost_docker.image import IMAGE_VERSION, SANDBOX_UID, finish_rootfs

ROOT = Path(__file__).resolve().parents[2]


def test_build_image_is_a_sandbox_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["sandbox", "build-image", "--tag", "x:y", "--package", "p"])
    assert (args.tag, args.package) == ("x:y", ["p"])
    with pytest.raises(SystemExit) as done:
        main(["sandbox", "build-image", "--help"])
    assert done.value.code == 0
    assert "no registry" in capsys.readouterr().out


def test_ci_script_and_dockerfile_build_the_same_image_version() -> None:
    script = (ROOT / "sandbox/images/ci-engine.sh").read_text()
    dockerfile = (ROOT / "sandbox/images/Dockerfile").read_text()
    assert re.search(rf"^IMAGE_VERSION={IMAGE_VERSION}\b", script, re.MULTILINE)
    assert f"org.agenthost.image.version={IMAGE_VERSION}" in dockerfile
    assert f"USER {SANDBOX_UID}:{SANDBOX_UID}" in dockerfile


@pytest.mark.skipif(os.geteuid() != 0, reason="writing a root filesystem's owners needs root")
def test_finish_rootfs_adds_the_user_and_python(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "usr/bin").mkdir(parents=True)
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (tmp_path / "etc/group").write_text("root:x:0:\n")
    finish_rootfs(tmp_path)
    finish_rootfs(tmp_path)  # idempotent
    assert (tmp_path / "etc/passwd").read_text().count(f":{SANDBOX_UID}:") == 1
    assert os.readlink(tmp_path / "usr/bin/python") == "python3"
    home = (tmp_path / "work").stat()
    assert (home.st_uid, home.st_mode & 0o777) == (SANDBOX_UID, 0o700)


@pytest.mark.docker
@pytest.mark.skipif(os.geteuid() != 0, reason="building a root filesystem needs root")
def test_build_image_imports_a_rootfs_with_the_sandbox_config(engine: Any) -> None:
    def from_existing_image(rootfs: Path) -> None:
        container = engine.containers.create(DEFAULT_IMAGE, ["true"])
        try:
            archive = rootfs.with_suffix(".tar")
            with archive.open("wb") as f:
                for chunk in container.export():
                    f.write(chunk)
        finally:
            container.remove()
        rootfs.mkdir()
        with tarfile.open(archive) as tar:
            tar.extractall(rootfs, filter="fully_trusted")
        os.unlink(rootfs / "usr/bin/python")  # so the build has to make it again
        archive.unlink()

    tag = f"agenthost-sandbox-test:{uuid.uuid4().hex[:8]}"
    try:
        build_image(tag, client=engine, bootstrap=from_existing_image)
        image = engine.images.get(tag)
        config = image.attrs["Config"]
        assert config["User"] == f"{SANDBOX_UID}:{SANDBOX_UID}"
        assert config["WorkingDir"] == "/work"
        assert config["Labels"]["org.agenthost.image.version"] == IMAGE_VERSION
        out = engine.containers.run(
            tag, ["python", "-c", "import os; print(os.getuid(), os.getcwd())"], remove=True
        )
        assert out.decode().split() == [str(SANDBOX_UID), "/work"]
    finally:
        engine.images.remove(tag, force=True)
