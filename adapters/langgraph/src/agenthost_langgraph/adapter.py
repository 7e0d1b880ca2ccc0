"""The ``langgraph`` adapter: serve a compiled LangGraph graph whose state has ``messages``.

- the session id is the graph's ``thread_id``; the graph's own checkpointer keeps the
  conversation, or, when it has none, one the adapter adds (on disk beside a sqlite host store,
  else in memory);
- each run streams ``stream_mode=["messages", "updates"]`` (see ``convert``);
- a graph that calls ``interrupt()`` ends the run with ``run.input_required``; the session's
  next message resumes it with ``Command(resume=...)``;
- a cancel cancels the task iterating the stream, which cancels the graph's running nodes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, Literal

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph.types import Command
from pydantic import BaseModel, ConfigDict, Field

from agenthost.adapter import Adapter, AgentInfo
from agenthost.context import RunContext
from agenthost.events import Event, RunInput

from .convert import (
    StreamTranslator,
    instructions_message,
    resume_value,
    to_langchain,
    unanswered_tool_calls,
)

log = logging.getLogger("agenthost.langgraph")


class LangGraphOptions(BaseModel):
    """Options of the ``langgraph`` adapter (``[agents.NAME.options]``)."""

    model_config = ConfigDict(extra="forbid")

    checkpointer: Literal["auto", "memory", "sqlite", "none"] = Field(
        default="auto",
        description="used only when the graph was compiled without one; auto: sqlite beside "
        "a sqlite host store, else memory",
    )
    checkpoint_path: str | None = Field(
        default=None, description="sqlite file for the checkpointer (default: beside the store)"
    )
    recursion_limit: int | None = Field(
        default=None, gt=0, description="LangGraph's super-step limit per run"
    )


class LangGraphAdapter(Adapter):
    """Serves a compiled LangGraph graph (or a ``StateGraph``, compiled on load)."""

    name = "langgraph"
    Options = LangGraphOptions

    @classmethod
    def detects(cls, obj: object) -> bool:
        return isinstance(obj, (Pregel, StateGraph))

    def __init__(self, target: Any, options: Any, **kw: Any):
        if isinstance(target, StateGraph):
            target = target.compile()
        super().__init__(target, options, **kw)
        self.options: LangGraphOptions = options
        self._graph: Pregel | None = None
        self._prepare_lock = asyncio.Lock()
        self._connection: Any = None  # the sqlite connection we opened, closed in aclose

    def describe(self) -> AgentInfo:
        description = self.description
        graph_name = getattr(self.target, "name", "") or ""
        if not description and graph_name and graph_name != "LangGraph":
            description = graph_name
        return AgentInfo(name=self.agent_name, description=description, framework=self.name)

    # -- checkpointer ------------------------------------------------------------------

    async def _prepared(self, ctx: RunContext) -> Pregel:
        if self._graph is not None:
            return self._graph
        async with self._prepare_lock:
            if self._graph is None:
                self._graph = await self._with_checkpointer(ctx)
        return self._graph

    async def _with_checkpointer(self, ctx: RunContext) -> Pregel:
        graph: Pregel = self.target
        mode = self.options.checkpointer
        if graph.checkpointer is not None or mode == "none":
            return graph  # the graph's own (or, explicitly, none)
        path = self.options.checkpoint_path
        if path is None and ctx.store is not None:
            path = ctx.store.state_path("langgraph")
        if mode == "sqlite" and path is None:
            raise RuntimeError(
                f"agent {self.agent_name!r}: checkpointer = 'sqlite' needs checkpoint_path "
                "(or a host store that keeps files, e.g. [store] backend = 'sqlite')"
            )
        if mode == "memory" or path is None:
            return graph.copy(update={"checkpointer": InMemorySaver()})
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        self._connection = await aiosqlite.connect(path)
        saver = AsyncSqliteSaver(self._connection)
        await saver.setup()
        log.info("agent %s: LangGraph checkpoints in %s", self.agent_name, path)
        return graph.copy(update={"checkpointer": saver})

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        self._graph = None
        if connection is not None:
            await connection.close()

    # -- runs --------------------------------------------------------------------------

    async def run(self, input: RunInput, ctx: RunContext) -> AsyncIterator[Event | str]:
        graph = await self._prepared(ctx)
        config: RunnableConfig = {"configurable": {"thread_id": ctx.session_id}}
        if self.options.recursion_limit is not None:
            config["recursion_limit"] = self.options.recursion_limit
        graph_input, earlier = await self._input(graph, input, config)
        translator = StreamTranslator(earlier)
        stream: Any = graph.astream(graph_input, config, stream_mode=["messages", "updates"])
        async with aclosing(stream):  # a run that ends early still closes the graph's stream
            async for mode, chunk in stream:
                for event in translator.feed(mode, chunk):
                    yield event

    async def _input(
        self, graph: Pregel, input: RunInput, config: RunnableConfig
    ) -> tuple[Any, list[BaseMessage]]:
        """The graph's input for this turn, and the messages the thread already holds."""
        messages = to_langchain(input.messages)
        if input.instructions:
            messages.insert(0, instructions_message(input.instructions))
        if graph.checkpointer is None:
            return {"messages": messages}, []
        state = await graph.aget_state(config)
        values = state.values if isinstance(state.values, dict) else {}
        earlier: list[BaseMessage] = list(values.get("messages", []))
        if state.interrupts:
            answer = resume_value(input.messages[-1] if input.messages else None)
            if len(state.interrupts) == 1:
                return Command(resume=answer), earlier
            return Command(resume={i.id: answer for i in state.interrupts}), earlier
        return {"messages": [*unanswered_tool_calls(earlier), *messages]}, earlier
