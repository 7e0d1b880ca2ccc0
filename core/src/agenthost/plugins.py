"""One PluginManager for the entry-point group ``agenthost``, and the component registry it fills.

Built-in components register through the same hooks as installed plugins. Two environment
variables narrow what loads (comma-separated plugin names, i.e. entry-point names):

- ``AGENTHOST_LOAD_PLUGINS``: load only these installed plugins (built-ins always load);
- ``AGENTHOST_DISABLE_PLUGINS``: never load these (built-ins included, e.g. ``native``).
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata as md
import importlib.util
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pluggy
from pydantic import BaseModel

from . import hookspecs
from .distributions import PROVIDERS, install_hint
from .errors import PluginError

log = logging.getLogger("agenthost.plugins")

Kind = Literal["adapter", "frontend", "sandbox_backend", "store", "authenticator"]
KINDS: tuple[Kind, ...] = ("adapter", "frontend", "sandbox_backend", "store", "authenticator")
_HOOK_FOR_KIND = {
    "adapter": "register_adapters",
    "frontend": "register_frontends",
    "sandbox_backend": "register_sandbox_backends",
    "store": "register_stores",
    "authenticator": "register_authenticators",
}
BUILTIN_PLUGINS = (
    "agenthost.builtin.plugin",
    "agenthost.sandbox.plugin",
)


def load_object(path: str, folder: str | Path | None = None) -> Any:
    """Import ``"package.module:attr.sub"`` (or ``"dir/file.py:attr"``) and return the attribute.

    With ``folder``, a ``file.py`` path is taken relative to it and modules are looked up
    there first (then on the usual ``sys.path``): how a config file's targets resolve."""
    module_name, _, attr = path.rpartition(":")
    if not module_name or not attr:
        raise PluginError(f"{path!r} is not of the form 'module:attribute'")
    if folder is not None:
        folder = str(Path(folder).resolve())
        if module_name.endswith(".py"):
            module_name = str(Path(folder, module_name))
        elif folder not in sys.path:
            sys.path.insert(0, folder)
            importlib.invalidate_caches()
    obj: Any = (
        _import_file(module_name)
        if module_name.endswith(".py")
        else (importlib.import_module(module_name))
    )
    for name in attr.split("."):
        obj = getattr(obj, name)
    return obj


def config_folder(source: str) -> Path | None:
    """The folder of the config file ``source`` (None for a config that is not a file)."""
    path = Path(source)
    return path.resolve().parent if path.is_file() else None


def _import_file(filename: str) -> Any:
    path = Path(filename).resolve()
    name = "agenthost_target_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot load {filename!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))  # let the file import its neighbours
    spec.loader.exec_module(module)
    return module


@dataclass
class Component:
    """One registered adapter, frontend, sandbox backend or store."""

    kind: Kind
    name: str
    target: Any  # the class, or "module:Class" until first use
    plugin: str
    details: dict[str, Any] = field(default_factory=dict)

    def load(self) -> Any:
        if isinstance(self.target, str):
            try:
                self.target = load_object(self.target)
            except Exception as exc:
                raise PluginError(
                    f"{self.kind} {self.name!r} of plugin {self.plugin!r} cannot be imported: {exc}"
                ) from exc
        return self.target

    def options_model(self) -> type[BaseModel] | None:
        return getattr(self.load(), "Options", None)


@dataclass
class PluginInfo:
    name: str
    distribution: str | None
    version: str | None
    hooks: list[str]
    builtin: bool


@dataclass
class PluginFailure:
    """An installed plugin that did not load, and why: ``agenthost plugins`` and ``check``
    report it; every other plugin loads and the host serves without it."""

    name: str  # the entry-point name
    distribution: str | None
    version: str | None
    error: str

    def __str__(self) -> str:
        dist = f"{self.distribution} {self.version}" if self.distribution else "no distribution"
        fix = f"`pip uninstall {self.distribution}`" if self.distribution else "uninstall it"
        return (
            f"plugin {self.name!r} ({dist}) was skipped: {self.error}; fix the plugin, {fix}, "
            f"or skip it with AGENTHOST_DISABLE_PLUGINS={self.name}"
        )


def close_names(name: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` when ``name`` looks like a typo of a known name, else ``""``."""
    matches = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def _split_env(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {item.strip() for item in value.split(",") if item.strip()}


class Plugins:
    """The loaded plugins and every component they registered."""

    def __init__(self, *, load_entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager("agenthost")
        self.pm.add_hookspecs(hookspecs)
        self._dists: dict[str, tuple[str | None, str | None]] = {}
        self._in_process: set[str] = set()
        self.components: dict[Kind, dict[str, Component]] = {kind: {} for kind in KINDS}
        self.failures: dict[str, PluginFailure] = {}  # plugin name -> why it did not load
        allow = _split_env("AGENTHOST_LOAD_PLUGINS")
        block = _split_env("AGENTHOST_DISABLE_PLUGINS") or set()
        for module_name in BUILTIN_PLUGINS:
            short = module_name.split(".")[1]
            short = "native" if short == "builtin" else short
            if short in block:
                continue
            self.pm.register(importlib.import_module(module_name), name=short)
            self._dists[short] = ("agenthost", md.version("agenthost"))
        if load_entry_points:
            self._load_entry_points(allow, block)
        self.pm.check_pending()
        self._collect()

    @property
    def failed(self) -> dict[str, str]:
        """Plugin name -> the whole report of why it was skipped (distribution and fix)."""
        return {name: str(failure) for name, failure in self.failures.items()}

    def _load_entry_points(self, allow: set[str] | None, block: set[str]) -> None:
        for ep in md.entry_points(group="agenthost"):
            if ep.name in block or (allow is not None and ep.name not in allow):
                continue
            if self.pm.get_plugin(ep.name) is not None:
                continue
            dist = ep.dist
            self._dists[ep.name] = (dist.name, dist.version) if dist else (None, None)
            # One broken plugin must not take the host down: record it, skip it, and let
            # `agenthost plugins` / `agenthost check` report it by distribution.
            try:
                plugin = ep.load()
            except Exception as exc:
                self._fail(ep.name, f"importing {ep.value!r} raised {type(exc).__name__}: {exc}")
                continue
            try:
                self.pm.register(plugin, name=ep.name)
            except Exception as exc:  # pluggy: a hook implementation with wrong arguments
                self._fail(ep.name, f"{type(exc).__name__}: {exc}")
                continue
            unknown = self._unknown_hooks(plugin)
            if unknown:
                self.pm.unregister(name=ep.name)
                self._fail(ep.name, "; ".join(unknown))

    def _unknown_hooks(self, plugin: Any) -> list[str]:
        """What ``pm.check_pending`` would raise about this one plugin, with the likely name."""
        specs = sorted(
            name for name, caller in vars(self.pm.hook).items()
            if getattr(caller, "has_spec", lambda: False)()
        )
        problems = []
        for caller in self.pm.get_hookcallers(plugin) or []:
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not impl.optionalhook:
                    problems.append(
                        f"it implements {caller.name!r}, which is not an agenthost hook"
                        f"{close_names(caller.name, specs)}"
                    )
        return problems

    def _fail(self, name: str, error: str) -> None:
        dist, version = self._dists.pop(name, (None, None))
        self.failures[name] = PluginFailure(name, dist, version, error)
        log.warning("%s", self.failures[name])

    def register_plugin(self, plugin: Any, name: str) -> None:
        """Register an in-process plugin object (tests, AgentApp users). Unlike an installed
        plugin, a broken one raises here: the caller is the one to fix it."""
        self._in_process.add(name)
        self.pm.register(plugin, name=name)
        self._dists[name] = (None, None)
        self.pm.check_pending()
        self._collect()

    def _collect(self) -> None:
        for kind in KINDS:
            hook_name = _HOOK_FOR_KIND[kind]
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                plugin_name = self.pm.get_name(impl.plugin) or "?"

                def register(
                    name: str,
                    target: Any,
                    _kind: Kind = kind,
                    _plugin: str = plugin_name,
                    **details: Any,
                ) -> None:
                    existing = self.components[_kind].get(name)
                    if existing is not None and existing.plugin != _plugin:
                        raise PluginError(
                            f"{_kind} {name!r} is registered by both {existing.plugin!r} "
                            f"and {_plugin!r}; disable one with AGENTHOST_DISABLE_PLUGINS"
                        )
                    self.components[_kind][name] = Component(_kind, name, target, _plugin, details)

                if self._is_builtin(plugin_name) or plugin_name in self._in_process:
                    impl.function(register)
                    continue
                try:
                    impl.function(register)
                except PluginError:
                    raise
                except Exception as exc:  # a broken installed plugin is skipped, not fatal
                    for registered in self.components.values():
                        for key in [k for k, c in registered.items() if c.plugin == plugin_name]:
                            del registered[key]
                    self.pm.unregister(name=plugin_name)
                    self._fail(plugin_name, f"its {hook_name} hook raised "
                               f"{type(exc).__name__}: {exc}")

    def _is_builtin(self, name: str) -> bool:
        return self._dists.get(name, (None, None))[0] == "agenthost"

    def get(self, kind: Kind, name: str) -> Component:
        try:
            return self.components[kind][name]
        except KeyError:
            names = sorted(self.components[kind])
            label = kind.replace("_", " ")
            # A name this project ships is a missing install; anything else may be a typo.
            suggestion = "" if (kind, name) in PROVIDERS else close_names(name, names)
            raise PluginError(
                f"no {label} named {name!r} is installed{suggestion} "
                f"(installed: {', '.join(names) or 'none'})"
                + ("" if suggestion else f"; {install_hint(kind, name)}")
            ) from None

    def detect_adapter(self, obj: object) -> str:
        """The name of the adapter that can serve ``obj``; frameworks before plain callables."""
        candidates = []
        for component in self.components["adapter"].values():
            modules = component.details.get("detect_modules", ())
            # Import an adapter only when its framework is already loaded (or it is generic).
            if modules and not any(m in sys.modules for m in modules):
                continue
            candidates.append(component)
        candidates.sort(key=lambda c: c.details.get("fallback", False))
        for component in candidates:
            if component.load().detects(obj):
                return component.name
        raise PluginError(
            f"no installed adapter can serve {type(obj).__module__}.{type(obj).__qualname__}; "
            f"installed adapters: {', '.join(self.names('adapter'))}"
        )

    def names(self, kind: Kind) -> list[str]:
        return sorted(self.components[kind])

    def info(self) -> list[PluginInfo]:
        out = []
        for name, plugin in self.pm.list_name_plugin():
            dist, version = self._dists.get(name, (None, None))
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            out.append(PluginInfo(name, dist, version, hooks, dist == "agenthost"))
        return sorted(out, key=lambda p: (not p.builtin, p.name))

    def call_hook(self, name: str, **kwargs: Any) -> list[Any]:
        return list(getattr(self.pm.hook, name)(**kwargs))
