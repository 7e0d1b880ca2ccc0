"""A Microsoft Agent Framework agent agenthost serves with no other configuration:

    agenthost serve examples/maf_agent.py:agent

then, from another terminal:

    curl -N localhost:8000/agents/agent/runs -H 'content-type: application/json' \
         -d '{"input": "how many words is this?", "session_id": "s1"}'

The chat client is scripted (no API key, no network): for every user message it counts the
words by running Python in the session's sandbox (the ``run_python`` tool from
``sandbox_tools()``), then answers with the result. Swap in a real client
(``OpenAIChatClient(model=...)`` from agent-framework-openai) and the rest stays as it is.

``team`` is a workflow factory (a writer, then a reviewer): ``agenthost serve
examples/maf_agent.py:team`` builds it for every run, so each session has its own conversation.
"""

from __future__ import annotations

import uuid

from agent_framework import Agent, Content, Message, Workflow, WorkflowBuilder

from agenthost_maf import ScriptedChatClient, sandbox_tools


def respond(messages: list[Message]) -> Message:
    """The scripted model: count the words of the user's message in Python, then report."""
    last = messages[-1]
    results = [c for c in last.contents if c.type == "function_result"]
    if results:
        return Message(
            role="assistant",
            contents=[Content.from_text(f"Your message has {results[0].result} words.")],
        )
    code = f"len({last.text!r}.split())"
    call = Content.from_function_call(
        f"call_{uuid.uuid4().hex[:8]}", "run_python", arguments={"code": code}
    )
    return Message(role="assistant", contents=[Content.from_text("Let me count."), call])


agent = Agent(
    client=ScriptedChatClient([respond], repeat_last=True),
    tools=sandbox_tools(["run_python"]),
    name="word_counter",
    description="Counts the words of your message, in Python.",
    instructions="You count words, in Python.",
)


def team() -> Workflow:
    """A writer drafts, a reviewer reviews: a new workflow for every run."""
    writer = Agent(
        client=ScriptedChatClient(["Draft: roses are red."], repeat_last=True),
        name="writer",
        description="Writes a draft",
    )
    reviewer = Agent(
        client=ScriptedChatClient(["Reviewed: looks good."], repeat_last=True),
        name="reviewer",
        description="Reviews the draft",
    )
    return WorkflowBuilder(start_executor=writer).add_edge(writer, reviewer).build()
