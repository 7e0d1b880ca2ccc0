"""``agenthost.toml`` → validated models, with every problem named by file and key.

Structure is checked by pydantic (``extra="forbid"``); each component's own table is checked
against the ``Options`` model the component declares, once the plugins are known. Secrets are
``{ env = "NAME" }`` tables, read from the environment, never inline.
"""

from __future__ import annotations

import importlib.metadata as md
import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from .errors import ConfigError, PluginError
from .plugins import Kind, Plugins

DEFAULT_LISTEN = "127.0.0.1:8000"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnvRef(_Section):
    """A secret read from the environment: ``{ env = "NAME" }``."""

    env: str

    def resolve(self) -> SecretStr:
        value = os.environ.get(self.env)
        if value is None:
            raise ConfigError([f"environment variable {self.env!r} is not set"])
        return SecretStr(value)


def _no_inline_secret(value: Any) -> Any:
    if isinstance(value, str):
        raise ValueError('secrets must not be written inline; use { env = "NAME" }')
    return value


class ApiKeyRef(EnvRef):
    """An API key read from the environment, and the principal it authenticates.

    ``{ env = "KEY_ALICE", principal = "alice" }``; without ``principal`` the key is its own
    principal, ``key:<env name>`` (the form of older configs).
    """

    principal: str | None = Field(default=None, min_length=1)
    name: str = ""
    scopes: list[str] = Field(default_factory=list)

    @property
    def principal_id(self) -> str:
        return self.principal or f"key:{self.env}"


class QuotaSection(_Section):
    """``[quotas]``: limits per principal; exceeding one answers 429 naming it."""

    max_concurrent_runs: int = Field(default=64, ge=1, description="runs running at once")
    max_queued_runs: int = Field(default=64, ge=0, description="runs waiting for their session")
    max_sandboxes: int = Field(default=8, ge=1, description="live sandboxes (one per session)")
    requests_per_minute: int | None = Field(
        default=None, ge=1, description="requests a minute (token bucket); unset: no limit"
    )


class HostSection(_Section):
    listen: str = DEFAULT_LISTEN
    public_url: str | None = None
    requires: list[str] = Field(default_factory=list)
    api_keys: list[ApiKeyRef] = Field(default_factory=list)
    allow_unauthenticated: bool = Field(
        default=False,
        description="serve a non-loopback listener with no authenticator (everyone is one "
        "anonymous principal)",
    )
    allow_public_without_keys: bool = Field(
        default=False, description="the former name of allow_unauthenticated"
    )
    max_body_bytes: int = Field(default=4 * 1024 * 1024, gt=0)
    session_policy: Literal["reject", "queue"] = "reject"
    cancel_on_disconnect: bool = True
    cancel_grace_seconds: float = Field(default=1.0, gt=0)
    run_ttl_seconds: float = Field(default=600.0, ge=0)
    max_finished_runs: int = Field(default=10_000, ge=0)
    max_finished_bytes: int = Field(
        default=256 * 1024 * 1024, ge=0, description="bytes of finished runs' events in memory"
    )
    max_active_runs: int = Field(
        default=4096, ge=1, description="running and queued runs, all principals together"
    )
    max_queued_per_session: int = Field(
        default=16, ge=0, description="runs waiting behind one session's (policy 'queue')"
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = False  # each run already logs one structured line
    max_sandboxes: int | None = Field(default=None, gt=0)  # live sandboxes, all profiles
    stream_coalesce_ms: float = Field(default=2.0, ge=0, le=1000)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _keys_from_env(cls, value: Any) -> Any:
        if isinstance(value, list):
            for item in value:
                _no_inline_secret(item)
        return value

    @field_validator("requires")
    @classmethod
    def _parse_requires(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                Requirement(item)
            except InvalidRequirement as exc:
                raise ValueError(f"{item!r} is not a valid requirement: {exc}") from None
        return value

    @field_validator("listen")
    @classmethod
    def _parse_listen(cls, value: str) -> str:
        split_listen(value)
        return value

    @property
    def host(self) -> str:
        return split_listen(self.listen)[0]

    @property
    def port(self) -> int:
        return split_listen(self.listen)[1]


def split_listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"{value!r} is not HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AgentSection(_Section):
    target: str
    adapter: str | None = None
    description: str = ""
    version: str = "0.1.0"
    sandbox: str = "default"
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("target")
    @classmethod
    def _module_attr(cls, value: str) -> str:
        if ":" not in value:
            raise ValueError(f"{value!r} is not of the form 'module:attribute'")
        return value


class Config(_Section):
    """The whole file. Component tables stay dicts here; ``validate_components`` checks them."""

    host: HostSection = Field(default_factory=HostSection)
    agents: dict[str, AgentSection] = Field(default_factory=dict)
    frontends: dict[str, dict[str, Any]] | None = None
    sandboxes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    store: dict[str, Any] = Field(default_factory=lambda: {"backend": "memory"})
    auth: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="authenticators: [auth.NAME] tables of options"
    )
    quotas: QuotaSection = Field(default_factory=QuotaSection)
    source: str = Field(default="<defaults>", exclude=True)

    def frontend_names(self, plugins: Plugins) -> list[str]:
        """Frontends to serve: those listed, or every installed one when none are listed."""
        if self.frontends is None:
            return plugins.names("frontend")
        return list(self.frontends)

    def sandbox_profiles(self) -> dict[str, dict[str, Any]]:
        """Every ``[sandboxes.NAME]`` table, plus ``default`` when the config has none of that
        name: the local backend, ``optional`` (a host whose sandbox cannot start still serves,
        and ``/readyz`` says ``degraded`` with the reason)."""
        profiles: dict[str, dict[str, Any]] = {"default": {"backend": "local", "optional": True}}
        profiles.update(self.sandboxes)
        return profiles


def _format_errors(source: str, prefix: str, exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        out.append(f"{source}: {loc}: {msg}")
    return out


def parse_config(data: dict[str, Any], source: str = "<config>") -> Config:
    """Validate the structure of a config mapping; raises ConfigError listing every problem."""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_errors(source, "", exc)) from None
    config.source = source
    return config


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError([f"{path}: file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    return parse_config(data, str(path))


def validate_options(
    plugins: Plugins,
    kind: Kind,
    name: str,
    data: dict[str, Any],
    source: str,
    key: str,
    name_key: str | None = None,
) -> tuple[BaseModel | None, list[str]]:
    """Validate one component's table against its Options model. A component that is not
    installed is reported at ``name_key`` (the key that names it), else at ``key``."""
    try:
        component = plugins.get(kind, name)
    except PluginError as exc:
        return None, [f"{source}: {name_key or key}: {exc}"]
    try:
        model = component.options_model()
    except PluginError as exc:
        return None, [f"{source}: {name_key or key}: {exc}"]
    if model is None:
        return None, []
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, _format_errors(source, key, exc)


def check_requires(requires: list[str]) -> list[str]:
    problems = []
    for item in requires:
        req = Requirement(item)
        try:
            installed = md.version(req.name)
        except md.PackageNotFoundError:
            problems.append(f"{item!r}: {req.name} is not installed")
            continue
        if req.specifier and not req.specifier.contains(installed, prereleases=True):
            problems.append(f"{item!r}: installed {req.name} is {installed}")
    return problems


def check_config(config: Config, plugins: Plugins) -> list[str]:
    """Every problem in ``config`` given the installed plugins: the body of ``agenthost check``."""
    src = config.source
    problems = [f"{src}: host.requires: {p}" for p in check_requires(config.host.requires)]
    for ref in config.host.api_keys:
        if ref.env not in os.environ:
            problems.append(f"{src}: host.api_keys: environment variable {ref.env!r} is not set")
    for name, table in config.auth.items():
        problems += validate_options(
            plugins, "authenticator", name, dict(table), src, f"auth.{name}"
        )[1]
    for name, agent in config.agents.items():
        if agent.adapter is not None:
            problems += validate_options(
                plugins, "adapter", agent.adapter, agent.options, src, f"agents.{name}.options",
                f"agents.{name}.adapter",
            )[1]
        if agent.sandbox not in config.sandbox_profiles():
            problems.append(f"{src}: agents.{name}.sandbox: no [sandboxes.{agent.sandbox}] section")
    for name in config.frontend_names(plugins):
        table = dict((config.frontends or {}).get(name, {}))
        problems += check_frontend(plugins, name, table, src)
    for name, table in config.sandbox_profiles().items():
        table = dict(table)
        backend = table.pop("backend", "local")
        problems += validate_options(
            plugins, "sandbox_backend", backend, table, src, f"sandboxes.{name}",
            f"sandboxes.{name}.backend",
        )[1]
    store = dict(config.store)
    problems += validate_options(
        plugins, "store", store.pop("backend", "memory"), store, src, "store", "store.backend"
    )[1]
    return problems


def check_frontend(plugins: Plugins, name: str, table: dict[str, Any], src: str) -> list[str]:
    key = f"frontends.{name}"
    versions = table.pop("versions", None)
    _, problems = validate_options(plugins, "frontend", name, table, src, key)
    if problems or versions is None:
        return problems
    servable = plugins.get("frontend", name).load().versions
    for version in versions:
        if str(version) not in servable:
            problems.append(
                f"{src}: {key}.versions: version {version!r} cannot be served by this plugin "
                f"(servable: {', '.join(servable) or 'none'})"
            )
    return problems
