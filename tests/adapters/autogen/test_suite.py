"""The adapter conformance kit, run against real AgentChat agents on a scripted model client."""

from __future__ import annotations

from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat

from agenthost.testing import AdapterSuite, Script

from .agents import kit_agent


class TestAssistantAgent(AdapterSuite):
    """An ``AssistantAgent`` instance, detected; each session gets its own copy."""

    adapter = None
    tool_errors = "report"  # AgentChat hands a tool's exception to the model as an error result

    def make_agent(self, script: Script) -> Any:
        return kit_agent(script)


class TestAgentFactoryOnSqliteStore(AdapterSuite):
    """A factory (one agent per session) with the state in a sqlite host store."""

    adapter = "autogen"
    tool_errors = "report"

    def host_config(self) -> dict[str, Any]:
        path = str(self.tmp_path / "h.db")
        return {"frontends": {}, "store": {"backend": "sqlite", "path": path}}

    def make_agent(self, script: Script) -> Any:
        agent = kit_agent(script)
        client = agent._model_client  # one scripted client: the script runs across sessions

        def make() -> AssistantAgent:
            return AssistantAgent(
                "assistant", model_client=client, tools=list(script.tools),
                model_client_stream=True, reflect_on_tool_use=True,
            )

        return make


class TestRoundRobinTeam(AdapterSuite):
    """A one-member ``RoundRobinGroupChat`` that stops after the member's answer."""

    adapter = None
    tool_errors = "report"

    def make_agent(self, script: Script) -> Any:
        return RoundRobinGroupChat(
            [kit_agent(script)], termination_condition=MaxMessageTermination(2)
        )
