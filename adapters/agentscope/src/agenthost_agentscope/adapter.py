"""The ``agentscope`` adapter: serve AgentScope 2.x agents, team and goal pipelines, factories.

- each run works on a session copy of the served object built from the states the host's
  store keeps under ``ctx.session_id`` (see ``sessions``), saved back after the run;
- ``reply_stream`` events become neutral events (see ``stream``);
- a tool needing approval (or external execution) ends the run with ``run.input_required``;
  the session's next message answers it and resumes the parked reply;
- a cancel: AgentScope swallows the task's cancellation and ends the reply "interrupted"
  (tool cancelled, history closed with interrupted results); the adapter saves that history
  and the host ends the run ``run.cancelled``. With ``interruption_raise_cancelled_error``
  the cancellation comes through as well; either way the state is saved first.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import typing
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

from agentscope.agent import Agent
from agentscope.permission import PermissionMode
from agentscope.pipeline import GoalPipeline, TeamPipeline
from pydantic import BaseModel, ConfigDict, Field

from agenthost.adapter import Adapter, AgentInfo, Skill
from agenthost.context import RunContext
from agenthost.events import Event, RunCancelled, RunInput

from .convert import resume_event, system_text, to_msgs
from .sessions import (
    Session,
    SessionRecord,
    check_servable,
    load_record,
    open_session,
    participants,
    save_record,
)
from .stream import StreamTranslator

log = logging.getLogger("agenthost.agentscope")

SERVABLE = (Agent, TeamPipeline, GoalPipeline)


class AgentScopeOptions(BaseModel):
    """Options of the ``agentscope`` adapter (``[agents.NAME.options]``)."""

    model_config = ConfigDict(extra="forbid")

    memory: Literal["store", "none"] = Field(
        default="store",
        description="store: each session's AgentState lives in the host's store (restarts "
        "keep it); none: every run starts a fresh conversation",
    )
    permission_mode: Literal["default", "accept_edits", "explore", "bypass", "dont_ask"] | None = (
        Field(
            default=None,
            description="AgentScope PermissionMode for new sessions (bypass: never ask "
            "before a tool call); default: the served agent's own",
        )
    )


def _returns_servable(obj: Any) -> bool:
    """A factory: a callable annotated to return an AgentScope agent or pipeline."""
    if not callable(obj) or isinstance(obj, type):
        return False
    try:
        returned = typing.get_type_hints(obj).get("return")
    except Exception:  # unresolvable annotations: not ours to judge
        return False
    candidates = typing.get_args(returned) or (returned,)
    return any(isinstance(c, type) and issubclass(c, SERVABLE) for c in candidates)


class AgentScopeAdapter(Adapter):
    """Serves an AgentScope ``Agent``, ``TeamPipeline`` or ``GoalPipeline``, or a factory
    (a callable returning one, called for every run)."""

    name = "agentscope"
    Options = AgentScopeOptions

    @classmethod
    def detects(cls, obj: object) -> bool:
        return isinstance(obj, SERVABLE) or _returns_servable(obj)

    def __init__(self, target: Any, options: Any, **kw: Any):
        super().__init__(target, options, **kw)
        self.options: AgentScopeOptions = options
        self._factory = not isinstance(target, SERVABLE)
        if self._factory and not callable(target):
            raise TypeError(
                f"agent {self.agent_name!r}: the agentscope adapter serves an Agent, "
                f"TeamPipeline, GoalPipeline or a factory, not {type(target).__qualname__}"
            )
        if not self._factory:
            check_servable(target, f"agent {self.agent_name!r}", shared=True)
        mode = options.permission_mode
        self._mode = PermissionMode(mode) if mode is not None else None

    def describe(self) -> AgentInfo:
        description = self.description
        if not self._factory and description == _first_paragraph(inspect.getdoc(type(self.target))):
            description = ""  # the host read the class's docstring, not the agent's own words
        info = AgentInfo(name=self.agent_name, description=description, framework=self.name)
        if self._factory:
            return info
        agents = participants(self.target)
        first = next(iter(agents.values()))
        if not info.description:
            info.description = _first_paragraph(first._system_prompt)
        if isinstance(self.target, TeamPipeline):
            info.skills = [
                Skill(id=name, name=name, description=member.description)
                for name, member in self.target.members.items()
            ]
        info.input_modes = ["text/plain", *_media_types(first)]
        return info

    async def _served(self) -> Any:
        if not self._factory:
            return self.target
        built = self.target()
        if inspect.isawaitable(built):
            built = await built
        if not isinstance(built, SERVABLE):
            raise TypeError(
                f"agent {self.agent_name!r}: the factory returned {type(built).__qualname__}, "
                "not an AgentScope Agent, TeamPipeline or GoalPipeline"
            )
        check_servable(built, f"agent {self.agent_name!r} (from its factory)", shared=False)
        return built

    async def run(self, input: RunInput, ctx: RunContext) -> AsyncIterator[Event | str]:
        keep = self.options.memory == "store"
        record = await load_record(ctx) if keep else SessionRecord()
        instructions = "\n\n".join(
            t for t in (input.instructions or "", system_text(input.messages)) if t
        )
        session = await open_session(
            await self._served(), record, ctx.session_id, instructions=instructions, mode=self._mode
        )
        pending = list(record.pending)
        if pending:
            last = input.messages[-1] if input.messages else None
            inputs: Any = resume_event(pending.pop(0), last, self.agent_name)
        else:
            inputs = to_msgs(input.messages)
        translator = StreamTranslator(members=not isinstance(session.target, Agent))
        try:
            async with aclosing(session.target.reply_stream(inputs)) as stream:
                async for item in stream:
                    for event in translator.feed(item):
                        yield event
        except asyncio.CancelledError:
            if keep:  # the interrupted history is valid: keep it for the next run
                await self._save(ctx, session, pending + translator.pending)
            raise
        if keep:
            await self._save(ctx, session, pending + translator.pending)
        if translator.top_end == "interrupted" and not ctx.cancelled.is_set():
            yield RunCancelled(reason="the agent's reply was interrupted")

    async def _save(self, ctx: RunContext, session: Session, pending: list[Any]) -> None:
        await save_record(ctx, session.snapshot(pending))


def _first_paragraph(text: str | None) -> str:
    return (text or "").strip().split("\n\n")[0]


def _media_types(agent: Agent) -> list[str]:
    formatter = getattr(agent.model, "formatter", None)
    supported = getattr(formatter, "supported_input_media_types", None) or []
    return [m for m in supported if isinstance(m, str) and m != "text/plain"]
