"""The ``agno`` adapter: serve an Agno ``Agent``, ``Team`` or ``Workflow`` (or a factory of one).

- the session id is Agno's ``session_id``; the conversation lives in the component's own db,
  or, when it has none, in one the adapter gives it (``SqliteDb`` beside a sqlite host store,
  else ``InMemoryDb``), with history switched on (``history_runs`` runs, not Agno's 3);
- each run streams ``arun(stream=True, stream_events=True)`` with the host's run id as Agno's
  run id (see ``stream`` for the mapping);
- a paused run (a tool that ``requires_confirmation``) ends with ``run.input_required``; the
  session's next message answers it and ``acontinue_run`` resumes it (see ``hitl``);
- a cancel cancels the task iterating the stream, which stops the model and the running tool
  (Agno's own ``acancel_run`` would wait for the tool), and a team's members with it
  (see ``members``).
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

from agno.agent import Agent
from agno.db.in_memory import InMemoryDb
from agno.factory import BaseFactory, RequestContext
from agno.team import Team
from agno.workflow import Workflow
from pydantic import BaseModel, ConfigDict, Field

from agenthost.adapter import Adapter, AgentInfo, Skill
from agenthost.context import RunContext
from agenthost.events import Event, RunInput

from .hitl import answer
from .inputs import to_agno
from .members import MemberTasks
from .stream import StreamTranslator

log = logging.getLogger("agenthost.agno")

COMPONENTS = (Agent, Team, Workflow)
Component = Agent | Team | Workflow


class AgnoOptions(BaseModel):
    """Options of the ``agno`` adapter (``[agents.NAME.options]``)."""

    model_config = ConfigDict(extra="forbid")

    db: Literal["auto", "memory", "sqlite", "none"] = Field(
        default="auto",
        description="used only when the agent has no db of its own; auto: sqlite beside a "
        "sqlite host store, else memory",
    )
    db_path: str | None = Field(
        default=None, description="sqlite file for the db (default: beside the host's store)"
    )
    history: bool = Field(
        default=True,
        description="send earlier runs of the session to the model (add_history_to_context) "
        "when the agent does not already",
    )
    history_runs: int = Field(
        default=20, gt=0, description="runs of history sent, unless the agent sets num_history_runs"
    )


def returns_component(obj: object) -> bool:
    """True for a callable annotated to return an Agno Agent, Team or Workflow."""
    if not callable(obj) or isinstance(obj, type):
        return False
    try:
        returned = typing.get_type_hints(obj).get("return")
    except Exception:  # unresolvable annotations: not ours to judge
        return False
    options = typing.get_args(returned) or (returned,)
    return any(isinstance(o, type) and issubclass(o, COMPONENTS) for o in options)


class AgnoAdapter(Adapter):
    """Serves an Agno Agent, Team or Workflow, an Agno factory, or a callable returning one."""

    name = "agno"
    Options = AgnoOptions

    @classmethod
    def detects(cls, obj: object) -> bool:
        return isinstance(obj, (*COMPONENTS, BaseFactory)) or returns_component(obj)

    def __init__(self, target: Any, options: Any, **kw: Any):
        super().__init__(target, options, **kw)
        self.options: AgnoOptions = options
        self._db: Any = None
        self._prepared: set[int] = set()
        # Sessions whose last run may be paused: checked in the db once per session a process
        # sees (a restart may find one paused), then known from the runs this process ends.
        self._paused: OrderedDict[str, bool] = OrderedDict()

    def describe(self) -> AgentInfo:
        target = self.target
        description = self.description or getattr(target, "description", None) or ""
        if not description:
            description = getattr(target, "role", None) or ""
        skills: list[Skill] = []
        if isinstance(target, Team):
            members = target.members if isinstance(target.members, list) else []
            for member in members:
                if isinstance(member, (Agent, Team)):
                    name = member.name or member.id or type(member).__name__
                    role = str(member.description or member.role or "")
                    skills.append(Skill(id=str(member.id or name), name=name, description=role))
        elif isinstance(target, Workflow):
            for step in target.steps if isinstance(target.steps, list) else []:
                step_name = str(getattr(step, "name", None) or "")
                if step_name:
                    about = str(getattr(step, "description", None) or "")
                    skills.append(Skill(id=step_name, name=step_name, description=about))
        return AgentInfo(
            name=self.agent_name, description=str(description), framework=self.name, skills=skills
        )

    # -- the component and its db ----------------------------------------------------------

    async def _component(self, ctx: RunContext) -> Component:
        target = self.target
        if isinstance(target, COMPONENTS):
            component: Component = target
        elif isinstance(target, BaseFactory):
            request = RequestContext(session_id=ctx.session_id)
            component = await target.resolve_async(request, _expected(target))
        else:
            made = target()
            component = await made if inspect.isawaitable(made) else made
            if not isinstance(component, COMPONENTS):
                raise TypeError(
                    f"agent {self.agent_name!r}: the factory returned "
                    f"{type(component).__name__}, not an Agno Agent, Team or Workflow"
                )
        if id(component) not in self._prepared:
            self._prepare(component, ctx)
            if component is target:
                self._prepared.add(id(component))
        return component

    def _prepare(self, component: Component, ctx: RunContext) -> None:
        if component.db is None:
            component.db = self._shared_db(ctx)
        wants_history = isinstance(component, (Agent, Team)) and self.options.history
        if wants_history and not component.add_history_to_context:  # type: ignore[union-attr]
            # Switched on here, so Agno's default of 3 runs is not the user's choice either
            # (Agno sets it when neither runs nor messages are given).
            component.add_history_to_context = True  # type: ignore[union-attr]
            if getattr(component, "num_history_messages", None) is None:
                component.num_history_runs = self.options.history_runs

    def _shared_db(self, ctx: RunContext) -> Any:
        if self._db is not None or self.options.db == "none":
            return self._db
        path = self.options.db_path
        if path is None and ctx.store is not None:
            path = ctx.store.state_path("agno")
        if self.options.db == "sqlite" and path is None:
            raise RuntimeError(
                f"agent {self.agent_name!r}: db = 'sqlite' needs db_path (or a host store "
                "that keeps files, e.g. [store] backend = 'sqlite')"
            )
        if self.options.db == "memory" or path is None:
            self._db = InMemoryDb()
        else:
            from agno.db.sqlite import SqliteDb

            self._db = SqliteDb(db_file=path)
            log.info("agent %s: Agno sessions in %s", self.agent_name, path)
        return self._db

    async def aclose(self) -> None:
        db, self._db = self._db, None
        engine = getattr(db, "db_engine", None)
        if engine is not None:
            engine.dispose()

    # -- runs ------------------------------------------------------------------------------

    async def run(self, input: RunInput, ctx: RunContext) -> AsyncIterator[Event | str]:
        component = await self._component(ctx)
        session = ctx.session_id
        paused = await self._paused_run(component, session)
        if paused is not None:
            assert isinstance(component, (Agent, Team))  # only they pause (see _paused_run)
            answer(paused.requirements or [], input.messages[-1] if input.messages else None)
            top_run_id = paused.run_id
            stream: Any = component.acontinue_run(
                run_id=paused.run_id,
                requirements=paused.requirements,
                session_id=session,
                stream=True,
                stream_events=True,
            )
        else:
            top_run_id = ctx.run_id
            agno_input = to_agno(input.messages, input.instructions)
            stream = component.arun(
                agno_input.input,
                stream=True,
                stream_events=True,
                session_id=session,
                run_id=top_run_id,
                **agno_input.media,
            )
        translator = StreamTranslator(top_run_id)
        members = MemberTasks()
        self._paused[session] = False
        try:
            # Read Agno's stream to its end even after the run's last event: Agno stores the
            # session after it (closing the stream early would lose the turn). A terminal
            # event waits until then too, as the host stops reading at one.
            terminal: list[Any] = []
            async with aclosing(stream):
                async for event in stream:
                    members.watch(event)
                    for item in translator.feed(event):
                        if item.type in ("run.failed", "run.cancelled"):
                            terminal.append(item)
                            continue
                        if item.type == "run.input_required":
                            self._paused[session] = True
                        yield item
            for item in terminal:
                yield item
        except BaseException:
            # A cancel (or any failure) must not leave a member's tool running (#7730).
            if members.cancel():
                log.debug("run %s: cancelled the team's member tasks", ctx.run_id)
            raise
        finally:
            while len(self._paused) > 10_000:
                self._paused.popitem(last=False)

    async def _paused_run(self, component: Component, session: str) -> Any:
        """The session's paused run, if its last run is paused (Agents and Teams only)."""
        if isinstance(component, Workflow) or component.db is None:
            return None
        known = self._paused.get(session)
        if known is False:
            return None
        stored = await component.aget_session(session_id=session)
        runs = getattr(stored, "runs", None) or []
        last = runs[-1] if runs else None
        if last is not None and getattr(last, "is_paused", False):
            return last
        self._paused[session] = False
        return None


def _expected(factory: BaseFactory[Any]) -> type:
    from agno.agent.factory import AgentFactory
    from agno.team.factory import TeamFactory

    if isinstance(factory, AgentFactory):
        return Agent
    if isinstance(factory, TeamFactory):
        return Team
    return Workflow
