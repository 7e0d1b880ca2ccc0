"""The AgentScope benchmark agent: an ``Agent`` on the adapter's scripted chat model.

Served by agenthost (``agenthost serve bench/agents_agentscope.py:agent``: every session
gets a copy rebuilt around its own state) and run in-process (bench/inprocess.py: a new
``Agent`` per run from ``make()``). Every run makes two model calls: the first asks for the
``weather`` tool, the second (which sees the tool's result) streams the 20 tokens of
bench/agents.py's answer. AgentScope only: the tool is a plain ``FunctionTool`` allowed
without asking, as an app's own tool would be.
"""

from __future__ import annotations

from typing import Any

from agents import FULL_TEXT, TOOL_RESULT, adapter_testing
from agentscope.agent import Agent
from agentscope.message import Msg
from agentscope.permission import PermissionBehavior, PermissionDecision
from agentscope.tool import FunctionTool, Toolkit

testing = adapter_testing("agenthost_agentscope")
ALLOW = PermissionDecision(behavior=PermissionBehavior.ALLOW, message="benchmark tool")


async def weather(city: str) -> str:
    """The weather in ``city``.

    Args:
        city (`str`): The city.
    """
    return TOOL_RESULT


def respond(messages: list[Msg]) -> Any:
    """Call the tool first; once its result is in, stream the answer."""
    last = messages[-1]
    if last.role == "assistant" and last.get_content_blocks("tool_result"):
        return testing.ScriptedAnswer(FULL_TEXT)
    return testing.ScriptedAnswer(tool_calls=[("call_1", "weather", {"city": "Paris"})])


model = testing.ScriptedChatModel([respond], repeat_last=True)
weather_tool = FunctionTool(weather, permission=ALLOW)
toolkit = Toolkit([weather_tool])


def make() -> Agent:
    """A new agent (a new conversation) on the shared model and toolkit."""
    return Agent(name="tokens20", system_prompt="You answer.", model=model, toolkit=toolkit)


agent = make()
