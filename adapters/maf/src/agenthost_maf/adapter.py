"""The ``maf`` adapter: serve Microsoft Agent Framework agents and workflows.

- any ``BaseAgent`` (``Agent``, ``WorkflowAgent``, custom agents) and ``Workflow`` is served;
  so is a factory, a function returning one, called for every run;
- an agent's conversation is its ``AgentSession``, restored from the host's store for each run
  by the run context's session id and saved back at its end (see ``sessions``);
- a ``Workflow`` (or ``WorkflowAgent``) instance holds one conversation: its runs take turns
  and an unfinished run is rolled back (see ``workflows``); a factory's workflow is built per
  run and gets the session's history as its input, so sessions stay apart;
- a tool with ``approval_mode="always_require"`` ends the run with ``run.input_required``; the
  session's next message approves (yes / ``{"approved": true}``) or denies, and the run resumes;
- a cancel cancels the task iterating MAF's stream, which cancels the model stream and the
  running tool; the user's message stays in the session's history.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any, get_type_hints

from agent_framework import BaseAgent, Workflow, WorkflowAgent
from agent_framework import Message as MafMessage
from pydantic import BaseModel, ConfigDict, Field

from agenthost.adapter import Adapter, AgentInfo, Skill
from agenthost.context import RunContext
from agenthost.events import Event, RunInput

from .convert import StreamTranslator, approves, to_maf
from .sessions import SessionStore, remember_input
from .tools import sandbox_tools, tool_errors
from .workflows import SharedWorkflow

MAF_TYPES = (BaseAgent, Workflow)


class MAFOptions(BaseModel):
    """Options of the ``maf`` adapter (``[agents.NAME.options]``)."""

    model_config = ConfigDict(extra="forbid")

    sandbox_tools: list[str] = Field(
        default_factory=list,
        description="host sandbox tools given to the agent on every run, e.g. ['run_python']",
    )


class MAFAdapter(Adapter):
    """Serves a MAF agent, a workflow, or a function that builds either."""

    name = "maf"
    Options = MAFOptions

    @classmethod
    def detects(cls, obj: object) -> bool:
        return isinstance(obj, MAF_TYPES) or _builds_maf(obj)

    def __init__(self, target: Any, options: Any, **kw: Any):
        if not isinstance(target, MAF_TYPES) and not callable(target):
            raise TypeError(
                f"agent {kw.get('name', '')!r}: the maf adapter serves a MAF agent, a Workflow "
                f"or a function returning one, not {type(target).__name__}"
            )
        super().__init__(target, options, **kw)
        self.options: MAFOptions = options
        self._tools = sandbox_tools(options.sandbox_tools) if options.sandbox_tools else []
        self._shared: SharedWorkflow | None = None
        if isinstance(target, (Workflow, WorkflowAgent)):
            self._shared = SharedWorkflow(target, self.agent_name or "workflow")
        self._sessions: SessionStore | None = None

    def describe(self) -> AgentInfo:
        target = self.target
        description = self.description
        if description and description == _class_summary(target):
            description = ""  # the host took the agent class's docstring for the agent's own
        description = description or getattr(target, "description", None) or ""
        return AgentInfo(
            name=self.agent_name,
            description=description,
            framework=self.name,
            skills=_skills(target) if isinstance(target, MAF_TYPES) else [],
            input_modes=["text/plain", "image/*", "application/octet-stream"],
        )

    # -- runs --------------------------------------------------------------------------

    async def run(self, input: RunInput, ctx: RunContext) -> AsyncIterator[Event | str]:
        errors: list[str] = []
        tool_errors.set(errors)  # this run's task context: the sandbox tools report here
        if self._shared is not None:
            translator = StreamTranslator(tool_errors=errors, members=True)
            updates = self._shared.run(to_maf(input.messages), **self._extra(self._shared.agent))
            async for update in updates:
                for event in translator.feed(update):
                    yield event
            for event in translator.finish():
                yield event
            return
        agent = await self._agent()
        async for event in self._run_agent(agent, input, ctx, errors):
            yield event

    async def _agent(self) -> BaseAgent:
        """The agent of this run: the target, or what the factory builds now."""
        target = self.target
        if isinstance(target, BaseAgent):
            return target
        built = target()
        if inspect.isawaitable(built):
            built = await built
        if isinstance(built, Workflow):
            return built.as_agent(name=self.agent_name)
        if not isinstance(built, BaseAgent):
            raise TypeError(
                f"agent {self.agent_name!r}: the factory returned {type(built).__name__}, "
                "not a MAF agent or Workflow"
            )
        return built

    async def _run_agent(
        self, agent: BaseAgent, input: RunInput, ctx: RunContext, errors: list[str]
    ) -> AsyncIterator[Any]:
        if self._sessions is None:
            self._sessions = SessionStore(ctx.store, self.agent_name)
        saved = await self._sessions.load(agent, ctx.session_id)
        messages = to_maf(input.messages)
        denied: list[str] = []
        answering = bool(saved.pending)
        if answering:
            approved = approves(input.messages[-1] if input.messages else None)
            responses = [p.to_function_approval_response(approved=approved) for p in saved.pending]
            if not approved:
                denied = [p.function_call.call_id or "" for p in saved.pending if p.function_call]
            messages = [MafMessage(role="user", contents=responses)]
        members = isinstance(agent, WorkflowAgent)
        translator = StreamTranslator(denied, tool_errors=errors, members=members)
        kwargs = self._extra(agent, input.instructions)
        runner: Any = agent  # BaseAgent declares no run(); every concrete agent has one
        stream = runner.run(messages, stream=True, session=saved.session, **kwargs)
        completed = False
        try:
            async for update in stream:
                for event in translator.feed(update):
                    yield event
            for event in translator.finish():
                yield event
            completed = True
        finally:
            if completed:
                saved.pending = translator.approvals
                await self._sessions.save(ctx.session_id, saved)
            elif ctx.cancelled.is_set() and not answering:
                # MAF stores nothing of a cancelled run; keep the user's turn.
                await remember_input(agent, saved.session, messages)
                await self._sessions.save(ctx.session_id, saved)

    def _extra(self, agent: Any, instructions: str | None = None) -> dict[str, Any]:
        """The keyword arguments this agent's ``run`` takes: per-run tools, instructions."""
        accepted = inspect.signature(agent.run).parameters
        extra: dict[str, Any] = {}
        if self._tools and "tools" in accepted:
            extra["tools"] = self._tools
        if instructions and "options" in accepted:
            extra["options"] = {"instructions": instructions}
        return extra


def _class_summary(obj: object) -> str:
    return (inspect.getdoc(type(obj)) or "").strip().split("\n\n")[0]


def _builds_maf(obj: object) -> bool:
    """A function annotated to return a MAF agent or workflow (a factory)."""
    if not callable(obj) or isinstance(obj, type):
        return False
    try:
        returns = get_type_hints(obj).get("return")
    except Exception:  # unresolvable annotations: not ours to judge
        return False
    return isinstance(returns, type) and issubclass(returns, MAF_TYPES)


def _skills(target: BaseAgent | Workflow) -> list[Skill]:
    """A workflow's member agents, or an agent's tools, as skills."""
    if isinstance(target, WorkflowAgent):
        target = target.workflow
    if isinstance(target, Workflow):
        skills = []
        for executor in target.get_executors_list():
            agent = getattr(executor, "agent", None)
            if agent is None:
                continue
            name = getattr(agent, "name", None) or executor.id
            skills.append(
                Skill(
                    id=executor.id, name=name, description=getattr(agent, "description", "") or ""
                )
            )
        return skills
    options = getattr(target, "default_options", None) or {}
    return [
        Skill(id=t.name, name=t.name, description=getattr(t, "description", "") or "")
        for t in options.get("tools") or []
        if getattr(t, "name", None)
    ]
