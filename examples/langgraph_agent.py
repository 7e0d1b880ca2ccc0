"""A LangGraph agent agenthost serves with no other configuration:

    agenthost serve examples/langgraph_agent.py:graph

then, from another terminal:

    curl -N localhost:8000/agents/graph/runs -H 'content-type: application/json' \
         -d '{"input": "how many words is this?", "session_id": "s1"}'

The chat model is scripted (no API key, no network): for every user message it counts the
words by running Python in the session's sandbox (the ``run_python`` tool from
``sandbox_tools()``), then answers with the result. Swap in a real model
(``ChatOpenAI(model=...)``, ``ChatAnthropic(...)``) and the rest stays as it is.
"""

from __future__ import annotations

import uuid

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agenthost_langgraph import ScriptedChatModel, sandbox_tools


def respond(messages: list[BaseMessage]) -> AIMessage:
    """The scripted model: count the words of the user's message in Python, then report."""
    last = messages[-1]
    if isinstance(last, ToolMessage):
        if last.status == "error":
            return AIMessage(content=f"The sandbox said: {last.text}")
        return AIMessage(content=f"Your message has {last.text} words.")
    code = f"len({last.text!r}.split())"
    call = {"name": "run_python", "args": {"code": code}, "id": f"call_{uuid.uuid4().hex[:8]}"}
    return AIMessage(content="Let me count.", tool_calls=[call])


graph = create_agent(
    ScriptedChatModel(turns=[respond], repeat_last=True),
    sandbox_tools(["run_python"]),
    system_prompt="You count words, in Python.",
    name="word_counter",
)
