"""The ``autogen`` adapter: serve AutoGen AgentChat agents and teams (or a factory of them).

- each session has its own object (``blueprint``), its state saved to the host's store after
  every run and restored from it (``sessions``);
- each run drives ``run_stream`` in a task of its own (``pump``) and translates what it yields
  (``stream``);
- a cancel stops token and task (AgentChat needs both), records the conversation with error
  results for the tools it cut short, and drops the object: the next run gets a fresh one;
- a handoff to the user (``handoffs=["user"]``, a Swarm's ``HandoffTermination``) or a
  ``UserProxyAgent`` asking ends the run with ``run.input_required``; the session's next
  message is the answer.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from typing import Any, Literal

from autogen_agentchat.base import TaskResult, Team
from autogen_agentchat.messages import HandoffMessage, UserInputRequestedEvent
from autogen_agentchat.teams import Swarm
from pydantic import BaseModel, ConfigDict, Field

from agenthost.adapter import Adapter, AgentInfo, Skill
from agenthost.context import RunContext
from agenthost.events import (
    DataPart,
    Event,
    InputRequired,
    Message,
    RunCompleted,
    RunInput,
)

from .blueprint import Blueprint, bridge_user_proxies, is_agentchat, is_factory, members
from .inputs import seed_context, split, task_messages
from .pump import Pump
from .sessions import Session, Sessions, repair_state
from .stream import StreamTranslator

log = logging.getLogger("agenthost.autogen")

IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"]


class AutoGenOptions(BaseModel):
    """Options of the ``autogen`` adapter (``[agents.NAME.options]``).

    Token usage: AgentChat reports each model call's ``models_usage``. The OpenAI client
    reports 0/0 when it streams unless built with ``include_usage=True``; by default such
    calls are left out of the usage (zero is unknown, not free) and a warning says so once.
    """

    model_config = ConfigDict(extra="forbid")

    max_live_sessions: int = Field(
        default=256, gt=0,
        description="sessions whose AgentChat object stays in memory between runs (the state "
        "of every session is in the host's store either way)",
    )
    zero_usage: Literal["omit", "report"] = Field(
        default="omit",
        description="a model call reporting 0/0 tokens (a streaming OpenAI client without "
        "include_usage=True): omit it from the usage, or report it as 0",
    )


class AutoGenAdapter(Adapter):
    """Serves an AgentChat ``ChatAgent`` or ``Team``, or a callable that makes one."""

    name = "autogen"
    Options = AutoGenOptions

    @classmethod
    def detects(cls, obj: object) -> bool:
        return is_agentchat(obj) or is_factory(obj)

    def __init__(self, target: Any, options: Any, *, description: str = "", **kw: Any):
        if description and _is_class_doc(target, description):
            # The host's fallback took the AgentChat class's docstring: the instance's own
            # ``description`` says more.
            description = ""
        super().__init__(target, options, description=description, **kw)
        self.options: AutoGenOptions = options
        self.blueprint = Blueprint(target)
        self.sessions = Sessions(self.agent_name, self.blueprint, options.max_live_sessions)
        self._warned_usage = False

    def describe(self) -> AgentInfo:
        target = self.blueprint.describe_target()
        description = self.description
        skills: list[Skill] = []
        input_modes = ["text/plain"]
        if target is not None:
            description = description or str(getattr(target, "description", "") or "")
            for member in members(target):
                if member is target:
                    continue
                skills.append(Skill(id=member.name, name=member.name,
                                    description=member.description, tags=["agent"]))
            if any(_vision(m) for m in members(target)):
                input_modes += IMAGE_TYPES
        return AgentInfo(name=self.agent_name, description=description, framework=self.name,
                         skills=skills, input_modes=input_modes)

    async def aclose(self) -> None:
        await self.sessions.aclose()

    # -- runs ----------------------------------------------------------------------------

    async def run(self, input: RunInput, ctx: RunContext) -> AsyncIterator[Event | str]:
        session = await self.sessions.open(ctx.session_id, ctx.store)
        proxies = [m.name for m in members(session.obj) if _is_user_proxy(m)]
        translator = StreamTranslator(
            user_sources=frozenset({"user", *proxies}),
            report_zero_usage=self.options.zero_usage == "report",
            team=isinstance(session.obj, Team),
        )
        pump = await self._start(session, input)
        result: TaskResult | None = None
        try:
            async for item in pump.items():
                if isinstance(item, UserInputRequestedEvent):
                    for event in translator.finish():
                        yield event
                    session.parked = pump  # waits in the proxy for the next message
                    yield InputRequired(
                        prompt=translator.last_said(),
                        payload={"agent": item.source, "request_id": item.request_id},
                    )
                    return
                if isinstance(item, TaskResult):
                    result = item
                    break
                for event in translator.feed(item):
                    yield event
        except asyncio.CancelledError:
            for item in await pump.in_flight():  # tool calls already made, not yet out
                if not isinstance(item, (TaskResult, UserInputRequestedEvent)):
                    for event in translator.feed(item):
                        yield event
            await self._after_cancel(session, pump, ctx)
            raise
        except BaseException:
            await pump.stop()
            self.sessions.discard(ctx.session_id)
            raise
        for event in translator.finish():
            yield event
        self._check_usage(translator)
        async for event in self._ended(session, result, translator, ctx):
            yield event

    async def _start(self, session: Session, input: RunInput) -> Pump:
        """Resume the session's parked stream with the user's answer, or start a new one."""
        parked, session.parked = session.parked, None
        if parked is not None and parked.waiting:
            parked.answer(_answer_text(input.messages))
            return parked
        if parked is not None:
            await parked.aclose()
        earlier, turn = split(input.messages)
        if earlier and not await seed_context(session.obj, earlier):
            turn = earlier + turn
        task: Any = task_messages(turn) or None
        if session.handoff_from and isinstance(session.obj, Swarm):
            task = HandoffMessage(source="user", target=session.handoff_from,
                                  content=_answer_text(turn))
        session.handoff_from = None
        pump = Pump(session.obj, task)
        bridge_user_proxies(session.obj, pump.ask_user)
        pump.start()
        return pump

    async def _ended(
        self, session: Session, result: TaskResult | None, translator: StreamTranslator,
        ctx: RunContext,
    ) -> AsyncIterator[Event]:
        messages = list(result.messages) if result is not None else []
        handoff = next(
            (m for m in reversed(messages) if isinstance(m, HandoffMessage) and m.target == "user"),
            None,
        )
        session.handoff_from = handoff.source if handoff is not None else None
        await self.sessions.save(session, ctx.store, await session.obj.save_state())
        stop_reason = result.stop_reason if result is not None else None
        if handoff is not None:
            prompt = translator.last_text(handoff.source) or handoff.content
            yield InputRequired(prompt=prompt, payload={
                "handoff": {"from": handoff.source, "to": "user", "message": handoff.content},
                "stop_reason": stop_reason,
            })
        elif isinstance(session.obj, Team):
            # A team says why it stopped: the last output message carries it as data.
            reason = Message(role="assistant", parts=[DataPart(data={"stop_reason": stop_reason})])
            yield RunCompleted(output=[*translator.completed, reason])

    async def _after_cancel(self, session: Session, pump: Pump, ctx: RunContext) -> None:
        """Stop the framework, keep the conversation (the cut-short tool calls answered with
        an error), and drop the object, which AgentChat leaves unusable."""
        await pump.stop()
        self.sessions.discard(ctx.session_id)
        try:
            state = await asyncio.wait_for(session.obj.save_state(), 0.3)
        except Exception:  # TimeoutError included
            log.warning("agent %s: no state after a cancel; the session keeps the state of "
                        "its last finished run", self.agent_name, exc_info=True)
            return
        self.sessions.save_later(session, ctx.store, repair_state(state))

    def _check_usage(self, translator: StreamTranslator) -> None:
        omitted = self.options.zero_usage == "omit" and translator.zero_usage_calls
        if omitted and not self._warned_usage:
            self._warned_usage = True
            log.warning(
                "agent %s: the model client reported 0 tokens for %d call(s); usage is left "
                "out, not reported as 0 (a streaming OpenAI client needs include_usage=True)",
                self.agent_name, translator.zero_usage_calls,
            )


def _is_class_doc(target: Any, description: str) -> bool:
    doc = inspect.getdoc(type(target)) or ""
    return bool(doc) and doc.startswith(description)


def _answer_text(messages: list[Message]) -> str:
    return "\n".join(m.text_content for m in messages if m.role != "assistant")


def _is_user_proxy(obj: Any) -> bool:
    from autogen_agentchat.agents import UserProxyAgent

    return isinstance(obj, UserProxyAgent)


def _vision(obj: Any) -> bool:
    client = getattr(obj, "_model_client", None)
    info = getattr(client, "model_info", None) if client is not None else None
    return bool(isinstance(info, dict) and info.get("vision"))


__all__ = ["AutoGenAdapter", "AutoGenOptions"]
