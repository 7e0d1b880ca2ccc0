"""Per-session AgentScope objects, built from the state kept in the host's store.

An AgentScope ``Agent`` is one conversation: its memory, permission rules and parked replies
live in ``agent.state`` (an ``AgentState``), and its permission engine is bound to the state it
was built with. So every run works on its own copy of the served object: each agent in it is
rebuilt around the session's saved ``AgentState`` (as AgentScope's own app server builds an
agent per reply), sharing the model, toolkit and configs with the served object. After the
run the states go back to the store (the memory store, the sqlite file or the shared store:
whatever the host runs with), so a restarted host continues the conversation.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from agentscope.agent import Agent
from agentscope.message import DataBlock, TextBlock
from agentscope.permission import PermissionMode
from agentscope.pipeline import GoalPipeline, TeamMember, TeamPipeline
from agentscope.state import AgentState
from agentscope.tool import ToolBase
from pydantic import TypeAdapter

from agenthost.context import RunContext

NAMESPACE = "agentscope"
VERSION = 1

# What Agent.__init__ builds around its state: rebuilt for every session copy.
_PER_CONVERSATION = frozenset({"state", "_engine", "_compression_tool", "_receive_reply_end"})
# GoalPipeline's own progress (kept across a HITL pause, like its agents' states).
_GOAL_FIELDS = ("_iters", "_executor_retries", "_verifier_retries")
_blocks: TypeAdapter[list[TextBlock | DataBlock] | None] = TypeAdapter(
    list[TextBlock | DataBlock] | None
)


@dataclass
class SessionRecord:
    """What the store keeps for one session of one agent."""

    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each participant's ``AgentState`` (JSON), by participant key."""
    extras: dict[str, Any] = field(default_factory=dict)
    """A pipeline's own progress (GoalPipeline's iteration counters and goal)."""
    pending: list[dict[str, Any]] = field(default_factory=list)
    """Parked requests (tool approvals, external executions), oldest first."""

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "states": self.states, "extras": self.extras, "pending": self.pending}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SessionRecord:
        if not data:
            return cls()
        return cls(
            states=dict(data.get("states") or {}),
            extras=dict(data.get("extras") or {}),
            pending=list(data.get("pending") or []),
        )


def store_key(ctx: RunContext) -> str:
    """The record's key: the served agent and the run's (owner-scoped) session id."""
    return f"{ctx.agent}\x1f{ctx.session_id}"


async def load_record(ctx: RunContext) -> SessionRecord:
    if ctx.store is None:
        return SessionRecord()
    return SessionRecord.from_json(await ctx.store.get(NAMESPACE, store_key(ctx)))


async def save_record(ctx: RunContext, record: SessionRecord) -> None:
    if ctx.store is not None:
        await ctx.store.put(NAMESPACE, store_key(ctx), record.to_json())


# --------------------------------------------------------------------------- participants


def participants(target: Any) -> dict[str, Agent]:
    """The agents of an Agent or pipeline, by a key stable across runs."""
    if isinstance(target, Agent):
        return {"agent": target}
    if isinstance(target, TeamPipeline):
        agents = {"leader": target.leader}
        agents.update({f"member:{n}": m.agent for n, m in target.members.items()})
        return agents
    if isinstance(target, GoalPipeline):
        return {"executor": target.executor, "verifier": target.verifier}
    raise TypeError(f"not an AgentScope agent or pipeline: {type(target).__qualname__}")


def check_servable(target: Any, where: str, *, shared: bool) -> None:
    """Refuse, at load time, what would only fail (or go wrong) at reply time: a bare function
    in a toolkit, and a served object with the context compression tool, which registers a
    per-conversation tool in the toolkit every session shares (``shared``: one object serves
    every session, not a factory's)."""
    for key, agent in participants(target).items():
        for group in agent.toolkit.tool_groups:
            for tool in group.tools:
                if not isinstance(tool, ToolBase):
                    raise ValueError(
                        f"{where}: the toolkit of {key} {agent.name!r} holds "
                        f"{getattr(tool, '__name__', tool)!r}, which is not a tool: wrap it "
                        "with agenthost_agentscope.function_tool() (or FunctionTool)"
                    )
        if shared and agent.context_config.compression_tool_enabled:
            raise ValueError(
                f"{where}: {key} {agent.name!r} has context_config.compression_tool_enabled, "
                "which registers a per-conversation tool in its toolkit; serve a factory "
                "(a function returning a new agent or pipeline) instead of one object"
            )


def fresh_state(template: Agent, session_id: str, mode: PermissionMode | None) -> AgentState:
    """A new session's state: empty memory, the served agent's permission settings."""
    permissions = template.state.permission_context.model_copy(deep=True)
    if mode is not None:
        permissions.mode = mode
    return AgentState(session_id=session_id, permission_context=permissions)


def session_agent(template: Agent, state: AgentState) -> Agent:
    """``template`` rebuilt around ``state``: the model, toolkit, middlewares and configs are
    the template's; the state and what Agent.__init__ binds to it are the session's."""
    agent: Agent = object.__new__(type(template))
    Agent.__init__(
        agent,
        name=template.name,
        system_prompt="",
        model=template.model,
        state=state,
        context_config=template.context_config,
    )
    built = agent.__dict__
    agent.__dict__ = {
        **{k: v for k, v in template.__dict__.items() if k not in _PER_CONVERSATION},
        **{k: built[k] for k in _PER_CONVERSATION if k in built},
    }
    return agent


@dataclass
class Session:
    """One run's copy of the served object, and how to save it back."""

    target: Any
    agents: dict[str, Agent]

    def snapshot(self, pending: list[dict[str, Any]]) -> SessionRecord:
        states = {k: a.state.model_dump(mode="json") for k, a in self.agents.items()}
        extras: dict[str, Any] = {}
        if isinstance(self.target, GoalPipeline):
            extras = {f: getattr(self.target, f, 0) for f in _GOAL_FIELDS}
            extras["_goal"] = _blocks.dump_python(getattr(self.target, "_goal", None), mode="json")
        return SessionRecord(states=states, extras=extras, pending=pending)


async def open_session(
    target: Any,
    record: SessionRecord,
    session_id: str,
    *,
    instructions: str = "",
    mode: PermissionMode | None = None,
) -> Session:
    """The session's copy of ``target`` with the states of ``record`` (fresh ones if none)."""
    templates = participants(target)
    agents: dict[str, Agent] = {}
    for key, template in templates.items():
        saved = record.states.get(key)
        state = (
            AgentState.model_validate(saved)
            if saved is not None
            else fresh_state(template, session_id, mode)
        )
        state.session_id = session_id
        agents[key] = session_agent(template, state)
    first = next(iter(agents.values()))
    if instructions:
        # Per-run instructions go with the system prompt of the agent the user talks to.
        first._system_prompt = f"{first._system_prompt}\n\n{instructions}".strip()
    if isinstance(target, Agent):
        return Session(first, agents)
    copied = copy.copy(target)
    if isinstance(copied, TeamPipeline):
        copied.leader = agents["leader"]
        copied.members = {
            name: TeamMember(agent=agents[f"member:{name}"], description=member.description)
            for name, member in target.members.items()
        }
        # The assign tool is the served pipeline's; register it in the shared toolkit once
        # instead of on every copy (each would replace it with a warning).
        assign = getattr(copied, "_assign_tool", None)
        if assign is not None and await copied.leader.toolkit.get_tool(assign.name) is assign:
            copied._tool_registered = True
    elif isinstance(copied, GoalPipeline):
        copied.executor, copied.verifier = agents["executor"], agents["verifier"]
        for name in _GOAL_FIELDS:
            setattr(copied, name, int(record.extras.get(name, 0)))
        copied._goal = _blocks.validate_python(record.extras.get("_goal"))
    return Session(copied, agents)
