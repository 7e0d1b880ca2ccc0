"""The Agno benchmark agent: a real ``Agent`` on the adapter's scripted model.

Served unchanged by agenthost (``agenthost serve bench/agents_agno.py:agent``), by AgentOS
(bench/peers/agno_agentos_app.py) and run in-process (bench/inprocess.py). Every run makes
two model calls: the first asks for the ``weather`` tool, the second (which sees the tool's
result) streams the 20 tokens of bench/agents.py's answer. Its sessions live in the agent's
own Agno ``InMemoryDb``, which both servers use as it is: the same persistence on both sides.
"""

from __future__ import annotations

from typing import Any

from agents import FULL_TEXT, TOOL_RESULT, adapter_testing
from agno.agent import Agent
from agno.db.in_memory import InMemoryDb

testing = adapter_testing("agenthost_agno")


def weather(city: str) -> str:
    """The weather in ``city``."""
    return TOOL_RESULT


def respond(messages: list[Any]) -> Any:
    """Call the tool first; once its result is in, stream the answer."""
    if messages[-1].role == "tool":
        return FULL_TEXT
    return testing.Reply(tool_calls=[("call_1", "weather", {"city": "Paris"})])


agent = Agent(
    id="tokens20",
    name="tokens20",
    description="Calls one tool, then streams 20 text tokens.",
    model=testing.ScriptedModel(turns=[respond], repeat_last=True),
    tools=[weather],
    db=InMemoryDb(),
    telemetry=False,
)
