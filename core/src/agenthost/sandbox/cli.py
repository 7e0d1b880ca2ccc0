"""``agenthost sandbox exec|info``: try a sandbox backend from the terminal.

agenthost sandbox exec "import sys; sys.version"
agenthost sandbox exec --backend docker --shell "uname -a"
echo 'print(6 * 7)' | agenthost sandbox exec -
agenthost sandbox info
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any


def add_commands(commands: Any) -> None:
    """Add ``exec`` and ``info`` to the ``agenthost sandbox`` group other plugins share."""
    group = commands.group("sandbox", "try and manage sandboxes")
    group.add("exec", "run Python (or --shell) in a fresh sandbox and print it", _exec_args, _main)
    group.add("info", "show a profile's backend, isolation and limits", _common_args, _main)


def _common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", help="use this backend with its default options")
    parser.add_argument("--profile", help="a [sandboxes.NAME] profile of the config")
    parser.add_argument("--config", help="config file (default ./agenthost.toml, if any)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def _exec_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", help="the code, or - to read it from stdin")
    parser.add_argument("--shell", action="store_true", help="run CODE with /bin/sh -c")
    parser.add_argument("--timeout", type=float, help="seconds (default: the profile's timeout)")
    _common_args(parser)


def _profiles(args: argparse.Namespace) -> tuple[dict[str, dict[str, Any]], str]:
    from ..cli import resolve_config
    from ..errors import ConfigError

    if args.backend:
        if args.profile:
            raise ConfigError(["give --backend or --profile, not both"])
        return {"cli": {"backend": args.backend, "pool": 0}}, "cli"
    profiles = resolve_config(args.config).sandbox_profiles()
    name = args.profile or "default"
    if name not in profiles:
        raise ConfigError([f"no [sandboxes.{name}] profile (known: {', '.join(profiles)})"])
    return {name: {**profiles[name], "pool": 0}}, name


def _main(args: argparse.Namespace) -> int:
    from ..plugins import Plugins
    from .manager import SandboxManager

    profiles, name = _profiles(args)
    manager = SandboxManager(profiles, Plugins())
    if getattr(args, "code", None) is None:  # `sandbox info`
        return asyncio.run(_info(manager, name, args.json))
    code = sys.stdin.read() if args.code == "-" else args.code
    return asyncio.run(_exec(manager, name, code, args))


async def _info(manager: Any, name: str, as_json: bool) -> int:
    try:
        await manager.start()
        sandbox = await manager.create(name)
        info = {"profile": manager.describe()[name], "sandbox": sandbox.info()}
        await sandbox.close()
    finally:
        await manager.close()
    if as_json:
        print(json.dumps(info, indent=2, default=str))
    else:
        for key, value in info["profile"].items():
            print(f"{key}: {value}")
        for key, value in info["sandbox"]["backend"].items():
            print(f"{key}: {value}")
    return 0


async def _exec(manager: Any, name: str, code: str, args: argparse.Namespace) -> int:
    try:
        sandbox = await manager.create(name)
        if args.shell:
            stream = sandbox.stream_shell(code, timeout=args.timeout)
        else:
            stream = sandbox.stream_python(code, timeout=args.timeout)
        result = None
        async for item in stream:
            if hasattr(item, "stream"):
                out = sys.stderr if item.stream == "stderr" else sys.stdout
                out.write(item.text)
                out.flush()
            else:
                result = item
    finally:
        await manager.close()
    assert result is not None
    if args.json:
        print(json.dumps(_jsonable(result), indent=2))
    elif result.error is not None:
        sys.stderr.write(result.error.traceback or f"{result.error.type}: {result.error.message}\n")
    elif result.value is not None:
        print(result.value)
    if result.truncated:
        print("[output truncated]", file=sys.stderr)
    for artifact in result.artifacts:
        print(f"[artifact {artifact.name} {artifact.mime_type}, not shown]", file=sys.stderr)
    if result.error is not None:
        return 1
    return int(result.exit_code or 0)


def _jsonable(result: Any) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(result)
    data["artifacts"] = [{"name": a.name, "mime_type": a.mime_type} for a in result.artifacts]
    return data
