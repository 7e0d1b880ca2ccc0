"""AgentScope agents on ``ScriptedChatModel`` for the adapter tests (offline, no API keys)."""

from __future__ import annotations

from typing import Any

from agentscope.agent import Agent, ReActConfig
from agentscope.message import Msg
from agentscope.tool import Toolkit

from agenthost.testing import Script, Turn
from agenthost_agentscope import ScriptedAnswer, ScriptedChatModel, function_tool
from agenthost_agentscope.testing import user_texts


def scripted_turn(turn: Turn, usage: tuple[int, int] | None = None) -> Any:
    """One kit ``Turn`` as a ``ScriptedChatModel`` turn."""
    if turn.error is not None:
        return RuntimeError(turn.error)
    if turn.echo:
        return lambda messages: ScriptedAnswer(turn.reply(user_texts(messages)), usage=usage)
    calls = [(c.id, c.name, c.arguments) for c in turn.tool_calls]
    return ScriptedAnswer(turn.text, tool_calls=calls, usage=usage)


def scripted_model(script: Script) -> ScriptedChatModel:
    usage = None
    if script.usage is not None:
        usage = (script.usage.input_tokens, script.usage.output_tokens)
    return ScriptedChatModel([scripted_turn(t, usage) for t in script.turns])


def agent(script: Script, name: str = "assistant", **kwargs: Any) -> Agent:
    """An ``Agent`` whose tools are the script's, allowed without asking."""
    toolkit = Toolkit(tools=[function_tool(fn) for fn in script.tools])
    return Agent(
        name=name,
        system_prompt="You help.",
        model=scripted_model(script),
        toolkit=toolkit,
        **kwargs,
    )


def raising_agent(script: Script) -> Agent:
    """An agent that lets a cancellation through (agentscope-ai/agentscope#2649)."""
    return agent(script, react_config=ReActConfig(interruption_raise_cancelled_error=True))


def last_user_text(messages: list[Msg]) -> str:
    texts = user_texts(messages)
    return texts[-1] if texts else ""
