"""Exceptions agenthost raises.

AgentHostError
├── ConfigError            (a config problem: file, key, what was expected)
├── PluginError            (a plugin or component cannot be found or loaded)
├── UnknownAgent           (no agent of that name)
├── UnknownRun             (no run of that id)
├── SessionBusy            (a run is already active on the session and the policy rejects)
├── QuotaExceeded          (a principal's limit: concurrent runs, queued runs, sandboxes)
├── StoreUnavailable       (the store failed while a run was registered; nothing was kept)
└── SandboxError           (defined in agenthost.sandbox)
"""

from __future__ import annotations


class AgentHostError(Exception):
    """Root of every error agenthost raises on purpose."""


class ConfigError(AgentHostError):
    """One or more config problems; ``problems`` lists each as ``file: key: message``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class PluginError(AgentHostError):
    pass


class UnknownAgent(AgentHostError):
    def __init__(self, name: str, known: list[str]):
        self.name = name
        super().__init__(f"no agent named {name!r}; known agents: {', '.join(known) or 'none'}")


class UnknownRun(AgentHostError):
    def __init__(self, run_id: str):
        self.run_id = run_id
        super().__init__(f"no run with id {run_id!r}")


class SessionBusy(AgentHostError):
    def __init__(self, session_id: str, run_id: str):
        self.session_id = session_id
        self.run_id = run_id
        super().__init__(
            f"session {session_id!r} already has an active run ({run_id}); "
            "wait for it to finish, cancel it, or use another session"
        )


class QuotaExceeded(AgentHostError):
    """A per-principal limit (``[quotas] <limit>``) is reached: HTTP 429."""

    def __init__(self, limit: str, value: int, principal: str):
        self.limit = limit
        self.value = value
        self.principal = principal
        super().__init__(
            f"quota exceeded: {limit} = {value} for principal {principal!r} "
            f"(raise [quotas] {limit}, or wait for your earlier work to finish)"
        )


class StoreUnavailable(AgentHostError):
    """The store failed while a run was being registered: HTTP 503; the session stays free."""

    def __init__(self, detail: str):
        super().__init__(f"the store failed, the run was not started: {detail}")
