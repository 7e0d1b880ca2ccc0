"""The ``agenthost`` command: serve, run, init, plugins, check (plugins add more)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .config import Config, load_config, parse_config, split_listen
from .errors import AgentHostError, ConfigError
from .plugins import Plugins

DEFAULT_CONFIG = "agenthost.toml"
DEMO_TARGET = "agenthost.builtin.demo:demo"


class Commands:
    """What ``register_commands`` hooks get: ``commands.add(name, help, configure, handler)``."""

    def __init__(self, subparsers: Any):
        self._sub = subparsers

    def add(
        self,
        name: str,
        help: str,
        configure: Callable[[argparse.ArgumentParser], None],
        handler: Callable[[argparse.Namespace], int | None],
    ) -> argparse.ArgumentParser:
        parser = self._sub.add_parser(name, help=help, description=help)
        configure(parser)
        parser.set_defaults(handler=handler)
        return parser

    def group(self, name: str, help: str) -> Commands:
        """The subcommands of ``agenthost NAME``, shared by every plugin that adds to it:
        ``commands.group("sandbox", ...).add("build-image", ...)`` (created on first use)."""
        parser = self._sub.choices.get(name)
        if parser is None:
            parser = self._sub.add_parser(name, help=help, description=help)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                return Commands(action)
        return Commands(parser.add_subparsers(dest=f"{name}_command", required=True))


def embedded_config() -> Config:
    """No config file: the built-in demo agent on every installed frontend, memory store."""
    return parse_config({"agents": {"demo": {"target": DEMO_TARGET}}}, "<embedded default>")


def target_config(target: str, name: str | None, adapter: str | None) -> Config:
    """``serve module:attr``: that one object as an agent, on every installed frontend."""
    agent_name = name or target.rpartition(":")[2].split(".")[-1]
    section: dict[str, Any] = {"target": target}
    if adapter:
        section["adapter"] = adapter
    return parse_config({"agents": {agent_name: section}}, f"<{target}>")


def resolve_config(spec: str | None, name: str | None = None, adapter: str | None = None) -> Config:
    """A config from a file, a ``module:attr`` target, ./agenthost.toml, or the embedded default."""
    if spec is None:
        return load_config(DEFAULT_CONFIG) if Path(DEFAULT_CONFIG).exists() else embedded_config()
    if spec.endswith(".toml") or (Path(spec).is_file() and ":" not in spec):
        return load_config(spec)
    if ":" in spec:
        return target_config(spec, name, adapter)
    raise ConfigError([f"{spec!r} is neither a config file nor a module:attribute target"])


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import AgentApp
    from .host import Host

    config = resolve_config(args.target, args.name, args.adapter)
    logging.getLogger("agenthost").setLevel(config.host.log_level.upper())
    listen_host, listen_port = split_listen(config.host.listen)
    host_addr = args.host or listen_host
    port = listen_port if args.port is None else args.port
    host = Host(config)
    host.check_listen(host_addr)
    app = AgentApp(host=host)
    print(
        f"agenthost: serving {', '.join(sorted(host.agents)) or 'no agents'} "
        f"({config.source}) on http://{host_addr}:{port}",
        file=sys.stderr,
    )
    uvicorn.run(
        app, host=host_addr, port=port, log_level=config.host.log_level,
        access_log=config.host.access_log, timeout_graceful_shutdown=5,
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    from .events import Message, RunInput
    from .host import Host

    if ":" in args.agent:
        config, agent = target_config(args.agent, None, None), None
    else:
        config, agent = resolve_config(args.config), args.agent
    config.frontends = {}
    host = Host(config)
    agent = agent or next(iter(host.agents))

    async def go() -> int:
        await host.startup()
        try:
            run_input = RunInput(
                agent=agent, messages=[Message.text(args.message)], session_id=args.session
            )
            run = await host.runs.start(run_input)
            async with host.runs.follow(run) as sub:
                async for batch in sub:
                    for event in batch:
                        _print_event(event)
            return 0 if run.status in ("completed", "input_required") else 1
        finally:
            await host.shutdown()

    return asyncio.run(go())


def _print_event(event: Any) -> None:
    kind = event.type
    if kind in ("message.delta", "reasoning.delta"):
        sys.stdout.write(event.text)
        sys.stdout.flush()
    elif kind == "tool.call":
        print(f"\n[tool.call {event.name} {json.dumps(event.arguments)}]")
    elif kind == "tool.result":
        print(f"[tool.result{' error' if event.is_error else ''}] {event.output}")
    elif kind == "run.input_required":
        print(f"\n[input required] {event.prompt}")
    elif kind == "run.failed":
        print(f"\n[run.failed {event.code}] {event.message}", file=sys.stderr)
    elif kind == "run.cancelled":
        print(f"\n[run.cancelled] {event.reason}", file=sys.stderr)
    elif kind == "run.completed":
        print()


def _plugins(args: argparse.Namespace) -> int:
    plugins = Plugins()
    if args.requirements:
        for info in plugins.info():
            if not info.builtin and info.distribution:
                print(f"{info.distribution}=={info.version}")
        return 0
    report: list[dict[str, Any]] = []
    for info in plugins.info():
        components = []
        for _kind, registered in plugins.components.items():
            for component in registered.values():
                if component.plugin != info.name:
                    continue
                components.append(_describe_component(component))
        report.append(
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "hooks": info.hooks,
                "components": components,
            }
        )
    for failure in plugins.failures.values():
        report.append({"name": failure.name, "distribution": failure.distribution,
                       "version": failure.version, "hooks": [], "components": [],
                       "error": str(failure)})
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for plugin in report:
        print(f"{plugin['name']}  ({plugin['distribution']} {plugin['version']})"
              + (f"  SKIPPED: {plugin['error']}" if "error" in plugin else ""))
        for c in plugin["components"]:
            print(f"  {c['kind']}: {c['name']}" + (f"  [{c['error']}]" if "error" in c else ""))
            for key in ("versions", "requirements", "isolation"):
                if c.get(key):
                    print(f"    {key}: {c[key]}")
            for opt, spec in c.get("options", {}).items():
                default = f" = {spec['default']!r}" if "default" in spec else ""
                print(f"    {opt}: {spec.get('type', 'any')}{default}")
    return 0


def _describe_component(component: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": component.kind, "name": component.name}
    try:
        cls = component.load()
    except AgentHostError as exc:
        out["error"] = str(exc)
        return out
    for attr in ("versions", "requirements"):
        if getattr(cls, attr, None):
            out[attr] = getattr(cls, attr)
    isolation = getattr(cls, "isolation", None)
    if callable(isolation):
        out["isolation"] = isolation()
    model = getattr(cls, "Options", None)
    if model is not None:
        options = {}
        for key, field in model.model_fields.items():
            spec: dict[str, Any] = {
                "type": getattr(field.annotation, "__name__", str(field.annotation))
            }
            if not field.is_required():
                default = field.get_default(call_default_factory=True)
                try:
                    json.dumps(default)
                    spec["default"] = default
                except TypeError:
                    spec["default"] = str(default)
            if field.description:
                spec["description"] = field.description
            options[key] = spec
        out["options"] = options
    return out


def _check(args: argparse.Namespace) -> int:
    from .check import check_file

    path = args.config or DEFAULT_CONFIG
    problems = check_file(path, Plugins())
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    print(f"{path}: OK")
    return 0


STARTER = """\
# agenthost.toml — what this host serves. Run `agenthost check` to validate it,
# `agenthost plugins` to see every installed component and its options.

[host]
listen = "127.0.0.1:8000"             # loopback only; a public address needs api_keys
# public_url = "https://agents.example.com"   # used in A2A agent cards
# api_keys = [{ env = "AGENTHOST_API_KEY" }]  # secrets only from the environment
# requires = ["agenthost>=0.1"]              # version pins, checked at start and by `check`
session_policy = "reject"             # a second concurrent run on a session: "reject" | "queue"
cancel_on_disconnect = true           # cancel a run when its last client goes away

[agents.demo]
target = "agenthost.builtin.demo:demo"  # module:attribute of your agent
# adapter = "langgraph"               # detected from the object when left out
description = "The built-in demo agent"
sandbox = "default"

# Leave [frontends] out to serve every installed frontend; list them to pin.
# [frontends.native]

[sandboxes.default]
backend = "local"

[store]
backend = "memory"                    # or "sqlite" with path = "agenthost.db"
"""


def _init(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"{path} exists; pass --force to overwrite", file=sys.stderr)
        return 1
    path.write_text(STARTER)
    print(f"wrote {path}")
    return 0


def build_parser(plugins: Plugins | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agenthost", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    commands = Commands(sub)

    def serve_args(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "target",
            nargs="?",
            help="config file or module:attribute (default: "
            "./agenthost.toml, else the embedded demo)",
        )
        p.add_argument("--host", help="listen address (default from config: 127.0.0.1)")
        p.add_argument("--port", type=int, help="listen port (default from config: 8000)")
        p.add_argument("--name", help="agent name for a module:attribute target")
        p.add_argument("--adapter", help="adapter for a module:attribute target (detected)")

    def run_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("agent", help="agent name from the config, or module:attribute")
        p.add_argument("message")
        p.add_argument("--config", help="config file (default ./agenthost.toml or embedded)")
        p.add_argument("--session", help="session id (continue a conversation)")

    def plugins_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true")
        p.add_argument(
            "--requirements",
            action="store_true",
            help="print pip requirements pinning the installed plugins",
        )

    def check_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("config", nargs="?", help="config file (default ./agenthost.toml)")

    def init_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("path", nargs="?", default=DEFAULT_CONFIG)
        p.add_argument("--force", action="store_true")

    commands.add("serve", "serve agents over every configured protocol", serve_args, _serve)
    commands.add("run", "run an agent once, streaming to the terminal", run_args, _run)
    commands.add("plugins", "list installed plugins and their components", plugins_args, _plugins)
    commands.add("check", "validate a config against what is installed", check_args, _check)
    commands.add("init", "write a commented starter agenthost.toml", init_args, _init)
    (plugins or Plugins()).call_hook("register_commands", commands=commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")  # serve module:attr from the current directory, like uvicorn
    try:
        args = build_parser().parse_args(argv)
        return int(args.handler(args) or 0)
    except AgentHostError as exc:
        print(f"agenthost: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
