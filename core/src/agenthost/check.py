"""``agenthost check``: every problem of a config file in one pass.

Structure errors (unknown keys, wrong types) do not hide the rest: the offending keys are set
aside and what remains is still checked against what is installed — unknown adapters,
frontends, backends and stores, component options, unimportable targets, unsatisfied pins,
unservable versions. Each problem names the file and the key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .config import Config, _format_errors, check_config
from .errors import PluginError
from .plugins import Plugins, config_folder, load_object

MAX_PASSES = 20  # each pass sets aside at least one key; a config has far fewer bad ones


def check_file(path: str | Path, plugins: Plugins) -> list[str]:
    """Every problem of the config at ``path`` given ``plugins`` (empty: it is fine)."""
    source = str(path)
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        return [f"{source}: file not found"]
    except tomllib.TOMLDecodeError as exc:
        return [f"{source}: not valid TOML: {exc}"]
    problems: list[str] = []
    config = None
    for _ in range(MAX_PASSES):
        try:
            config = Config.model_validate(data)
            break
        except ValidationError as exc:
            problems += _format_errors(source, "", exc)
            remaining = _without(data, exc)
            if remaining == data:  # nothing left to set aside: stop at the structure errors
                break
            data = remaining
    if config is None:
        return _unique(problems)
    config.source = source
    problems += check_config(config, plugins)
    problems += check_targets(config, plugins)
    problems += [str(failure) for failure in plugins.failures.values()]
    return _unique(problems)


def check_targets(config: Config, plugins: Plugins) -> list[str]:
    """Each agent's ``target`` imports (from the config file's folder first, as ``serve``
    does) and its adapter takes it: the adapter ``serve`` would use is built on it."""
    problems = []
    folder = config_folder(config.source)
    for name, agent in config.agents.items():
        key = f"{config.source}: agents.{name}"
        try:
            target = load_object(agent.target, folder)
        except Exception as exc:
            where = f" (looked in {folder} first, then the current directory and installed " \
                "packages)" if folder and isinstance(exc, ModuleNotFoundError) else ""
            problems.append(
                f"{key}.target: cannot import {agent.target!r}: {type(exc).__name__}: {exc}{where}"
            )
            continue
        problems += _check_adapter(key, name, agent.adapter, target, agent.options, plugins)
    return problems


def _check_adapter(
    key: str,
    agent: str,
    adapter: str | None,
    target: Any,
    options: dict[str, Any],
    plugins: Plugins,
) -> list[str]:
    """Build the agent's adapter on ``target`` as the host would; what goes wrong, if anything.
    An unknown or unimportable named adapter is already reported by ``check_config``."""
    try:
        name = adapter or plugins.detect_adapter(target)
    except PluginError as exc:
        hint = "; name one with `adapter = ...`" if str(exc).startswith("no installed") else ""
        return [f"{key}.target: {exc}{hint}"]
    except Exception as exc:  # an adapter's detects() or import broke
        return [f"{key}.target: detecting its adapter raised {type(exc).__name__}: {exc}"]
    try:
        cls = plugins.get("adapter", name).load()
        model = getattr(cls, "Options", None)
        parsed = model.model_validate(options) if model is not None else None
    except (PluginError, ValidationError):
        return [] if adapter else [f"{key}.adapter: detected adapter {name!r} cannot be loaded"]
    try:
        cls(target, parsed, name=agent)
    except Exception as exc:
        label = "adapter" if adapter else "target"
        return [
            f"{key}.{label}: adapter {name!r} does not accept {agent_kind(target)}: "
            f"{type(exc).__name__}: {exc}"
        ]
    return []


def agent_kind(target: Any) -> str:
    kind = target if isinstance(target, type) else type(target)
    return f"{kind.__module__}.{kind.__qualname__}"


def _without(data: dict[str, Any], exc: ValidationError) -> dict[str, Any]:
    """``data`` minus each key an error points at (its whole table when a required key is
    missing), so the next pass sees only what is well-formed."""
    data = _copy(data)
    for err in exc.errors():
        loc = list(err["loc"])
        ints = [i for i, part in enumerate(loc) if isinstance(part, int)]
        if ints:  # an item of a list: set the whole list aside
            loc = loc[: ints[0]]
        if err["type"] == "missing":
            loc = loc[:-1]
        if not loc:
            return {}
        parent: Any = data
        for part in loc[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(loc[-1], None)
    return data


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _unique(problems: list[str]) -> list[str]:
    return list(dict.fromkeys(problems))
