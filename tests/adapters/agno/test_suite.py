"""The adapter conformance kit, run against real Agno agents and teams on a scripted model."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from agenthost.testing import AdapterSuite, Script

from .agents import agent, team


class TestAgent(AdapterSuite):
    """An ``Agent`` with no db: the adapter gives it an in-memory one (detected, not named)."""

    adapter = None
    # Agno reports a tool exception to the model as the call's error result.
    tool_errors: ClassVar[Literal["fail", "report"]] = "report"

    def make_agent(self, script: Script) -> Any:
        return agent(script)


class TestAgentOnSqliteStore(AdapterSuite):
    """With a sqlite host store the adapter's ``SqliteDb`` is a file beside it."""

    adapter = "agno"
    tool_errors: ClassVar[Literal["fail", "report"]] = "report"

    def host_config(self) -> dict[str, Any]:
        return {
            "frontends": {},
            "store": {"backend": "sqlite", "path": str(self.tmp_path / "h.db")},
        }

    def make_agent(self, script: Script) -> Any:
        return agent(script)


class TestTeam(AdapterSuite):
    """A ``Team`` whose leader answers, calls tools and fails by itself."""

    adapter = None
    tool_errors: ClassVar[Literal["fail", "report"]] = "report"

    def make_agent(self, script: Script) -> Any:
        return team(script)


class TestFactory(AdapterSuite):
    """A callable annotated to return an ``Agent``: a new agent per run, one db for all."""

    adapter = None
    tool_errors: ClassVar[Literal["fail", "report"]] = "report"

    def make_agent(self, script: Script) -> Any:
        model = None

        def make() -> Agent:
            nonlocal model
            model = model or __import__(
                "tests.adapters.agno.agents", fromlist=["x"]
            ).scripted_model(script)
            return Agent(model=model, tools=list(script.tools))

        from agno.agent import Agent

        make.__annotations__["return"] = Agent
        return make
