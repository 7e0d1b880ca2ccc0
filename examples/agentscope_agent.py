"""An AgentScope agent agenthost serves with no other configuration:

    agenthost serve examples/agentscope_agent.py:agent

then, from another terminal:

    curl -N localhost:8000/agents/agent/runs -H 'content-type: application/json' \
         -d '{"input": "how many words is this?", "session_id": "s1"}'

The chat model is scripted (no API key, no network): for every user message it counts the
words by running Python in the session's sandbox (the ``run_python`` tool from
``sandbox_tools()``), then answers with the result. Swap in a real model
(``OpenAIChatModel(...)``, ``DashScopeChatModel(...)``) and the rest stays as it is.
"""

from __future__ import annotations

import uuid

from agentscope.agent import Agent
from agentscope.message import Msg, TextBlock
from agentscope.tool import Toolkit

from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, sandbox_tools
from agenthost_agentscope.testing import user_texts


def respond(messages: list[Msg]) -> ScriptedAnswer:
    """The scripted model: count the words of the user's message in Python, then report."""
    last = messages[-1]
    results = last.get_content_blocks("tool_result") if last.role == "assistant" else []
    if results:
        blocks = results[-1].output
        output = (
            blocks
            if isinstance(blocks, str)
            else "".join(b.text for b in blocks if isinstance(b, TextBlock))
        )
        if results[-1].state == "error":
            return ScriptedAnswer(f"The sandbox said: {output}")
        return ScriptedAnswer(f"Your message has {output} words.")
    code = f"len({user_texts(messages)[-1]!r}.split())"
    call = (f"call_{uuid.uuid4().hex[:8]}", "run_python", {"code": code})
    return ScriptedAnswer("Let me count.", tool_calls=[call])


agent = Agent(
    name="word_counter",
    system_prompt="You count words, in Python.",
    model=ScriptedChatModel([respond], repeat_last=True),
    toolkit=Toolkit(sandbox_tools(["run_python"])),
)
