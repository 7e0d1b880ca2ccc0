"""The AutoGen benchmark agent: an ``AssistantAgent`` on the adapter's scripted model client.

Served by agenthost (``agenthost serve bench/agents_autogen.py:make``: a factory, so every
session builds its own agent) and run in-process (bench/inprocess.py). Every run makes two
model calls: the first asks for the ``weather`` tool, the second (``reflect_on_tool_use``,
which sees the tool's result) streams the 20 tokens of bench/agents.py's answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from agents import FULL_TEXT, TOOL_RESULT, adapter_testing
from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import FunctionExecutionResultMessage, LLMMessage

testing = adapter_testing("agenthost_autogen")


def weather(city: str) -> str:
    """The weather in ``city``."""
    return TOOL_RESULT


def respond(messages: Sequence[LLMMessage]) -> object:
    """Call the tool first; once its result is in, stream the answer."""
    if isinstance(messages[-1], FunctionExecutionResultMessage):
        return testing.Answer(FULL_TEXT)
    return testing.Answer(calls=[("call_1", "weather", {"city": "Paris"})])


client = testing.ScriptedChatClient([respond], repeat_last=True)


def make() -> AssistantAgent:
    """A new agent on the shared scripted client (the client holds no conversation)."""
    return AssistantAgent(
        "tokens20",
        model_client=client,
        tools=[weather],
        model_client_stream=True,
        reflect_on_tool_use=True,
    )
