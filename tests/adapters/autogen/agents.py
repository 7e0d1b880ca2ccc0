"""AgentChat agents and teams on a scripted model client, for the adapter's tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_core.models import LLMMessage

from agenthost.testing import Script, Turn
from agenthost_autogen.testing import Answer, ScriptedChatClient, user_texts


def kit_turn(turn: Turn) -> Any:
    """One turn of the conformance kit's script as a scripted client's turn."""
    if turn.error is not None:
        return RuntimeError(turn.error)
    if turn.echo:
        return lambda messages: Answer(text=turn.reply(user_texts(messages)))
    return Answer(text=turn.text, calls=[(c.id, c.name, c.arguments) for c in turn.tool_calls])


def kit_client(script: Script) -> ScriptedChatClient:
    usage = None
    if script.usage is not None:
        usage = (script.usage.input_tokens, script.usage.output_tokens)
    return ScriptedChatClient([kit_turn(t) for t in script.turns], usage=usage)


def kit_agent(script: Script, name: str = "assistant") -> AssistantAgent:
    return AssistantAgent(
        name,
        model_client=kit_client(script),
        tools=list(script.tools),
        model_client_stream=True,
        reflect_on_tool_use=True,
    )


def echo(messages: Sequence[LLMMessage]) -> Answer:
    return Answer(text=" | ".join(user_texts(messages)))
