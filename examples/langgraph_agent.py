"""A LangGraph agent agenthost serves with no other configuration:

    agenthost serve examples/langgraph_agent.py:graph

then, from another terminal:

    curl -N localhost:8000/agents/graph/runs -H 'content-type: application/json' \
         -d '{"input": "how many words is this?", "session_id": "s1"}'

The chat model is scripted (no API key, no network): for every user message it calls the
``count_words`` tool, then answers with the tool's result. Swap in a real model
(``ChatOpenAI(model=...)``, ``ChatAnthropic(...)``) and the rest stays as it is.
"""

from __future__ import annotations

import uuid

from agenthost_langgraph import ScriptedChatModel
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.tools import tool


@tool
async def count_words(text: str) -> str:
    """Count the words in a text."""
    return f"{len(text.split())} words"


def respond(messages: list[BaseMessage]) -> AIMessage:
    """The scripted model: ask the tool about the user's message, then report its answer."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        return AIMessage(content=f"Your message has {last.text}.")
    call_id = f"call_{uuid.uuid4().hex[:8]}"
    call = {"name": "count_words", "args": {"text": last.text}, "id": call_id}
    return AIMessage(content="Let me count.", tool_calls=[call])


model = ScriptedChatModel(turns=[respond], repeat_last=True)

graph = create_agent(
    model,
    [count_words],
    system_prompt="You count words.",
    name="word_counter",
)
