"""LangGraph agents on ``ScriptedChatModel`` for the adapter tests (offline, no API keys)."""

from __future__ import annotations

import warnings
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import BaseTool, tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt

from agenthost.testing import Script, Turn
from agenthost_langgraph.testing import ScriptedChatModel, user_texts


def scripted_turn(turn: Turn) -> Any:
    """One kit ``Turn`` as a ``ScriptedChatModel`` turn."""
    if turn.error is not None:
        return RuntimeError(turn.error)
    if turn.echo:
        return lambda messages: turn.reply(user_texts(messages))
    calls = [{"name": c.name, "args": c.arguments, "id": c.id} for c in turn.tool_calls]
    return AIMessage(content=turn.text, tool_calls=calls)


def scripted_model(script: Script) -> ScriptedChatModel:
    usage = script.usage.model_dump() if script.usage is not None else None
    return ScriptedChatModel(turns=[scripted_turn(t) for t in script.turns], usage=usage)


def langchain_tools(script: Script) -> list[BaseTool]:
    return [tool(fn) for fn in script.tools]


def react_agent(script: Script, **kwargs: Any) -> Any:
    """``langgraph.prebuilt.create_react_agent`` (deprecated in LangGraph 1.x, still common)."""
    from langgraph.prebuilt import create_react_agent

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_react_agent(scripted_model(script), langchain_tools(script), **kwargs)


def langchain_agent(script: Script, **kwargs: Any) -> Any:
    """``langchain.agents.create_agent``: the LangGraph 1.x way to build a tool agent."""
    from langchain.agents import create_agent

    return create_agent(scripted_model(script), langchain_tools(script), **kwargs)


def last_user_text(messages: list[BaseMessage]) -> str:
    texts = user_texts(messages)
    return texts[-1] if texts else ""


def approval_graph() -> StateGraph:
    """Asks for approval with ``interrupt()``; answers from what the user resumed it with."""

    def ask(state: MessagesState) -> dict[str, Any]:
        answer = interrupt({"question": "Approve the transfer?", "amount": 10})
        verdict = "approved" if answer == "yes" else f"declined ({answer})"
        return {"messages": [AIMessage(content=f"Transfer {verdict}.")]}

    graph = StateGraph(MessagesState)
    graph.add_node("ask", ask)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    return graph
