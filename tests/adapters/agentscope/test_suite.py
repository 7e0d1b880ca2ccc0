"""The adapter conformance kit, run against real AgentScope agents on a scripted model."""

from __future__ import annotations

from typing import Any

from agentscope.agent import Agent

from agenthost.testing import AdapterSuite, Script

from .agents import agent, raising_agent


class TestAgent(AdapterSuite):
    """An ``Agent`` object served as is: each session gets its own copy of it.

    AgentScope reports a tool's exception to the model as an error result and goes on."""

    adapter = "agentscope"
    tool_errors = "report"

    def make_agent(self, script: Script) -> Any:
        return agent(script)


class TestFactoryDetected(AdapterSuite):
    """A factory annotated to return an ``Agent``, detected (no adapter named)."""

    adapter = None
    tool_errors = "report"

    def make_agent(self, script: Script) -> Any:
        built = agent(script)  # one model, so the script's turns are shared by every run

        def factory() -> Agent:
            return built

        return factory


class TestCancelRaisedAndSqliteStore(AdapterSuite):
    """``interruption_raise_cancelled_error=True``, sessions in a sqlite store."""

    adapter = "agentscope"
    tool_errors = "report"

    def host_config(self) -> dict[str, Any]:
        return {
            "frontends": {},
            "store": {"backend": "sqlite", "path": str(self.tmp_path / "h.db")},
        }

    def make_agent(self, script: Script) -> Any:
        return raising_agent(script)
