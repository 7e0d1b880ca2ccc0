"""An Agno agent agenthost serves with no other configuration:

    agenthost serve examples/agno_agent.py:agent

then, from another terminal:

    curl -N localhost:8000/agents/agent/runs -H 'content-type: application/json' \
         -d '{"input": "how many words is this?", "session_id": "s1"}'

The model is scripted (no API key, no network): for every user message it counts the words by
running Python in the session's sandbox (the ``run_python`` tool from ``sandbox_tools()``),
then answers with the result. Swap in a real model (``OpenAIChat(id=...)``,
``Claude(id=...)``) and the rest stays as it is; the session's memory lives in an Agno db the
adapter adds (in memory, or beside a sqlite host store).
"""

from __future__ import annotations

import uuid
from typing import Any

from agno.agent import Agent

from agenthost_agno import Reply, ScriptedModel, sandbox_tools


def respond(messages: list[Any]) -> Any:
    """The scripted model: count the words of the user's message in Python, then report."""
    last = messages[-1]
    if last.role == "tool":
        return f"Your message has {last.get_content_string()} words."
    code = f"len({last.get_content_string()!r}.split())"
    return Reply("Let me count.", [(f"call_{uuid.uuid4().hex[:8]}", "run_python", {"code": code})])


agent = Agent(
    name="word_counter",
    description="Counts the words of your message, in Python.",
    model=ScriptedModel(turns=[respond], repeat_last=True),
    tools=sandbox_tools(["run_python"]),
)
