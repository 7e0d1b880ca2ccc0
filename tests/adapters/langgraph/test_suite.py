"""The adapter conformance kit, run against real LangGraph agents on a scripted model."""

from __future__ import annotations

from typing import Any

from agenthost.testing import AdapterSuite, Script

from .agents import langchain_agent, react_agent


class TestCreateReactAgent(AdapterSuite):
    """``create_react_agent`` graphs; the adapter adds an in-memory checkpointer."""

    adapter = "langgraph"

    def make_agent(self, script: Script) -> Any:
        return react_agent(script)


class TestCreateAgent(AdapterSuite):
    """``langchain.agents.create_agent`` graphs, detected (no adapter named)."""

    adapter = None

    def make_agent(self, script: Script) -> Any:
        return langchain_agent(script)


class TestCreateAgentOnSqliteStore(AdapterSuite):
    """With a sqlite host store the adapter's checkpointer is on disk beside it."""

    adapter = "langgraph"

    def host_config(self) -> dict[str, Any]:
        return {
            "frontends": {},
            "store": {"backend": "sqlite", "path": str(self.tmp_path / "h.db")},
        }

    def make_agent(self, script: Script) -> Any:
        return langchain_agent(script)
