"""Agno agents, teams and workflows on ``ScriptedModel`` for the adapter tests (offline)."""

from __future__ import annotations

import logging
from typing import Any

from agno.agent import Agent
from agno.models.message import Message as AgnoMessage
from agno.team import Team

from agenthost.testing import Script, Turn
from agenthost_agno import Reply, ScriptedModel
from agenthost_agno.testing import user_texts

# agno logs every tool exception with a traceback on its own non-propagating loggers; the kit
# makes tools fail on purpose.
for _name in ("agno", "agno-team", "agno-workflow"):
    logging.getLogger(_name).disabled = True


def scripted_turn(turn: Turn) -> Any:
    """One kit ``Turn`` as a ``ScriptedModel`` turn."""
    if turn.error is not None:
        return RuntimeError(turn.error)
    if turn.echo:
        return lambda messages: turn.reply(user_texts(messages))
    calls = [(c.id, c.name, c.arguments) for c in turn.tool_calls]
    return Reply(turn.text, calls)


def scripted_model(script: Script) -> ScriptedModel:
    usage = script.usage.model_dump() if script.usage is not None else None
    return ScriptedModel(turns=[scripted_turn(t) for t in script.turns], usage=usage)


def agent(script: Script, **kwargs: Any) -> Agent:
    return Agent(model=scripted_model(script), tools=list(script.tools), **kwargs)


def team(script: Script, **kwargs: Any) -> Team:
    """A team whose leader follows the script itself (a member it never calls)."""
    idle = Agent(name="idle", id="idle", model=ScriptedModel(turns=["unused"]))
    return Team(members=[idle], model=scripted_model(script), tools=list(script.tools), **kwargs)


def last_user_text(messages: list[AgnoMessage]) -> str:
    texts = user_texts(messages)
    return texts[-1] if texts else ""
