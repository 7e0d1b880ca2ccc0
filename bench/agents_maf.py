"""The MAF benchmark agent: a real ``Agent`` on the adapter's scripted chat client.

Served unchanged by agenthost (``agenthost serve bench/agents_maf.py:agent``), by DevUI
(bench/peers/maf_devui_app.py, in its own venv) and run in-process (bench/inprocess.py).
Every run makes two model calls: the first asks for the ``weather`` tool, the second (which
sees the tool's result) streams the 20 tokens of bench/agents.py's answer.
"""

from __future__ import annotations

from agent_framework import Agent, Content, Message
from agents import FULL_TEXT, TOOL_RESULT, adapter_testing

ScriptedChatClient = adapter_testing("agenthost_maf").ScriptedChatClient


def weather(city: str) -> str:
    """The weather in ``city``."""
    return TOOL_RESULT


def respond(messages: list[Message]) -> Message:
    """Call the tool first; once its result is in, stream the answer."""
    if any(c.type == "function_result" for c in messages[-1].contents):
        return Message(role="assistant", contents=[Content.from_text(FULL_TEXT)])
    call = Content.from_function_call("call_1", "weather", arguments={"city": "Paris"})
    return Message(role="assistant", contents=[call])


agent = Agent(
    client=ScriptedChatClient([respond], repeat_last=True),
    tools=[weather],
    name="tokens20",
    description="Calls one tool, then streams 20 text tokens.",
)
