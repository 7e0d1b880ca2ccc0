"""``agenthost deploy kubernetes [CONFIG] -o DIR [--apply]`` and ``agenthost deploy image``."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from agenthost.config import load_config
from agenthost.errors import AgentHostError
from agenthost.plugins import Plugins

DEFAULT_CONFIG = "agenthost.toml"


class DeployError(AgentHostError):
    """A deploy step failed (the message says which and what to do)."""


def configure_kubernetes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", default=DEFAULT_CONFIG, help="agenthost.toml")
    parser.add_argument("-o", "--output", required=True, help="directory for the manifests")
    parser.add_argument("--namespace", default="agenthost", help="the host's namespace")
    parser.add_argument(
        "--create-namespaces", action="store_true", help="write Namespace objects too"
    )
    parser.add_argument("--image", default="agenthost:latest", help="the host's image")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--max-replicas", type=int, default=3, help="the autoscaler's ceiling")
    parser.add_argument(
        "--secret", default="agenthost-secrets", help="the Secret holding every env value"
    )
    parser.add_argument(
        "--egress-port", type=int, action="append", default=[], help="extra host egress port"
    )
    parser.add_argument("--apply", action="store_true", help="kubectl apply -f the directory")


def kubernetes_command(args: argparse.Namespace) -> int:
    import yaml

    from .manifests import DeploySettings, manifests

    path = Path(args.config)
    config = load_config(path)
    raw_toml = path.read_text()
    settings = DeploySettings(
        namespace=args.namespace,
        create_namespaces=args.create_namespaces,
        image=args.image,
        replicas=args.replicas,
        max_replicas=args.max_replicas,
        secret=args.secret,
        egress_ports=args.egress_port,
    )
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for index, manifest in enumerate(
        manifests(config, raw_toml, tomllib.loads(raw_toml), settings)
    ):
        meta = manifest["metadata"]
        where = meta.get("namespace", "cluster")
        name = f"{index:02d}-{manifest['kind'].lower()}-{where}-{meta['name']}.yaml"
        (out / name).write_text(yaml.safe_dump(manifest, sort_keys=False))
        written.append(name)
    print(f"wrote {len(written)} manifests to {out}", file=sys.stderr)
    if max(args.replicas, args.max_replicas) > 1:
        print(
            f"more than one replica: the host reads REDIS_URL from Secret {args.secret!r}; "
            "agenthost does not run Redis for you, point it at one you run",
            file=sys.stderr,
        )
    if args.apply:
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            raise DeployError("--apply needs kubectl on PATH; or apply the directory yourself")
        return subprocess.run([kubectl, "apply", "-f", str(out)], check=False).returncode
    return 0


def configure_image(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", default=DEFAULT_CONFIG, help="agenthost.toml")
    parser.add_argument("-o", "--output", default="Dockerfile", help="where to write it")
    parser.add_argument("--build", metavar="TAG", help="then run `docker build -t TAG`")


def image_command(args: argparse.Namespace) -> int:
    from .image import dockerfile

    path = Path(args.config)
    text = dockerfile(load_config(path), Plugins(), path.name)
    out = Path(args.output)
    out.write_text(text)
    print(f"wrote {out}", file=sys.stderr)
    if args.build:
        docker = shutil.which("docker")
        if docker is None:
            raise DeployError("--build needs the docker CLI on PATH")
        argv = [docker, "build", "-t", args.build, "-f", str(out), str(path.parent or ".")]
        return subprocess.run(argv, check=False).returncode
    return 0
