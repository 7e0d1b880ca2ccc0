"""``agenthost sandbox build-image``: build the default sandbox image without a registry."""

from __future__ import annotations

import argparse
import sys

from .image import DEFAULT_IMAGE, DEFAULT_MIRROR, DEFAULT_SUITE, ImageBuildError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tag", default=DEFAULT_IMAGE, help=f"image tag (default {DEFAULT_IMAGE})")
    parser.add_argument("--suite", default=DEFAULT_SUITE, help="Debian suite (default bookworm)")
    parser.add_argument("--mirror", default=DEFAULT_MIRROR, help="Debian package mirror")
    parser.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="NAME",
        help="extra Debian package to include (repeatable), e.g. python3-numpy",
    )


def build_image_command(args: argparse.Namespace) -> int:
    import docker

    from .image import build_image

    try:
        image_id = build_image(
            args.tag, suite=args.suite, mirror=args.mirror, packages=args.package
        )
    except docker.errors.DockerException as exc:
        raise ImageBuildError(
            f"cannot reach the Docker engine to import the image: {exc}"
        ) from None
    print(f"built {args.tag} ({image_id})", file=sys.stderr)
    return 0
