"""MAF agents on ``ScriptedChatClient`` for the adapter tests (offline, no API keys)."""

from __future__ import annotations

from typing import Any

from agent_framework import Agent, Content, Message, Workflow, WorkflowBuilder, tool

from agenthost.testing import Script, Turn
from agenthost_maf import ScriptedChatClient
from agenthost_maf.testing import user_texts


def scripted_turn(turn: Turn) -> Any:
    """One kit ``Turn`` as a ``ScriptedChatClient`` turn."""
    if turn.error is not None:
        return RuntimeError(turn.error)
    if turn.echo:
        return lambda messages: turn.reply(user_texts(messages))
    contents = [Content.from_text(turn.text)] if turn.text else []
    contents += [
        Content.from_function_call(c.id, c.name, arguments=c.arguments) for c in turn.tool_calls
    ]
    return Message(role="assistant", contents=contents)


def scripted_client(script: Script) -> ScriptedChatClient:
    usage = None
    if script.usage is not None:
        u = script.usage
        usage = {
            "input_token_count": u.input_tokens,
            "output_token_count": u.output_tokens,
            "total_token_count": u.total_tokens,
        }
    return ScriptedChatClient([scripted_turn(t) for t in script.turns], usage=usage)


def chat_agent(script: Script, **kwargs: Any) -> Agent:
    """An ``Agent`` whose tools are the script's plain async functions."""
    return Agent(client=scripted_client(script), tools=list(script.tools), **kwargs)


def one_agent_workflow(script: Script) -> Workflow:
    """A workflow of one agent (the kit's script drives it)."""
    return WorkflowBuilder(start_executor=chat_agent(script, name="solo")).build()


def writer_reviewer(reviews: list[str] | None = None) -> Workflow:
    """Two agents in sequence: the writer drafts, the reviewer echoes every user message."""
    writer = Agent(
        client=ScriptedChatClient(["Draft: a short poem."], repeat_last=True),
        name="writer",
        description="Writes drafts",
    )
    reviewer = Agent(
        client=ScriptedChatClient(
            [lambda messages: "Reviewed: " + " | ".join(user_texts(messages))], repeat_last=True
        ),
        name="reviewer",
        description="Reviews drafts",
    )
    return WorkflowBuilder(start_executor=writer).add_edge(writer, reviewer).build()


@tool(approval_mode="always_require")
async def delete_file(path: str) -> str:
    """Delete a file."""
    return f"deleted {path}"


def approval_agent() -> Agent:
    """Asks to delete a file (a tool that needs approval), then reports what happened."""

    def after(messages: list[Message]) -> str:
        results = [c for m in messages for c in m.contents if c.type == "function_result"]
        return f"Done: {results[-1].result}" if results else "nothing happened"

    call = Content.from_function_call("call_del", "delete_file", arguments={"path": "notes.txt"})
    client = ScriptedChatClient(
        [Message(role="assistant", contents=[Content.from_text("Deleting."), call]), after]
    )
    return Agent(client=client, tools=[delete_file], name="janitor")
