"""An AutoGen AgentChat agent agenthost serves with no other configuration:

    agenthost serve examples/autogen_agent.py:agent

then, from another terminal:

    curl -N localhost:8000/agents/agent/runs -H 'content-type: application/json' \
         -d '{"input": "how many words is this?", "session_id": "s1"}'

The model client is scripted (no API key, no network): for every user message it counts the
words by running Python in the session's sandbox (the ``run_python`` tool from
``sandbox_tools()``), then answers with the result. Swap in a real client
(``OpenAIChatCompletionClient(model=..., include_usage=True)`` from ``autogen-ext[openai]``)
and the rest stays as it is. Each session gets its own copy of the agent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import FunctionExecutionResultMessage, LLMMessage

from agenthost_autogen import Answer, ScriptedChatClient, sandbox_tools


def respond(messages: Sequence[LLMMessage]) -> Answer:
    """The scripted model: count the words of the user's message in Python, then report."""
    last = messages[-1]
    if isinstance(last, FunctionExecutionResultMessage):
        result = last.content[0]
        if result.is_error:
            return Answer(f"The sandbox said: {result.content}")
        return Answer(f"Your message has {result.content} words.")
    code = f"len({str(last.content)!r}.split())"
    return Answer("Let me count.", calls=[(f"call_{uuid.uuid4().hex[:8]}", "run_python",
                                           {"code": code})])


agent = AssistantAgent(
    "word_counter",
    model_client=ScriptedChatClient([respond], repeat_last=True, usage=(12, 6)),
    tools=[*sandbox_tools(["run_python"])],
    system_message="You count words, in Python.",
    description="Counts the words of your message, in Python.",
    model_client_stream=True,
    reflect_on_tool_use=True,
)
