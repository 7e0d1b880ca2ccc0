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
from .plugins import Plugins, load_object

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
    problems += check_targets(config)
    problems += [str(failure) for failure in plugins.failures.values()]
    return _unique(problems)


def check_targets(config: Config) -> list[str]:
    """Each agent's ``target`` imports."""
    problems = []
    for name, agent in config.agents.items():
        try:
            load_object(agent.target)
        except Exception as exc:
            problems.append(
                f"{config.source}: agents.{name}.target: cannot import {agent.target!r}: "
                f"{type(exc).__name__}: {exc}"
            )
    return problems


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
