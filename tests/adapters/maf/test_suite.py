"""The adapter conformance kit, run against real MAF agents on a scripted chat client."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from agent_framework import Agent, Workflow

from agenthost.testing import AdapterSuite, Script, ScriptedCall, Turn
from agenthost.testing.script import SlowToolState, slow_tool

from .agents import chat_agent, one_agent_workflow


class TestChatAgent(AdapterSuite):
    """``Agent`` objects, detected (no adapter named); sessions in the memory store."""

    adapter = None
    # MAF reports a tool's exception to the model as an error result and goes on.
    tool_errors = "report"

    def make_agent(self, script: Script) -> Any:
        return chat_agent(script)


class TestChatAgentOnSqliteStore(AdapterSuite):
    """With a sqlite host store the sessions are in its file."""

    adapter = "maf"
    tool_errors = "report"

    def host_config(self) -> dict[str, Any]:
        return {
            "frontends": {},
            "store": {"backend": "sqlite", "path": str(self.tmp_path / "h.db")},
        }

    def make_agent(self, script: Script) -> Any:
        return chat_agent(script)


class WorkflowCancel(AdapterSuite):
    """The kit's cancel check for workflows, cancelling once the ``tool.call`` is out.

    A workflow hands its members' updates to the caller through MAF's event queue, a few
    loop turns behind the members: the kit cancels the instant the tool starts, before the
    call it is running has come through. Here the cancel waits for that event (not for a
    time); everything the kit asserts after the cancel is asserted the same way.
    """

    def test_cancel_during_slow_tool(self) -> None:
        state = SlowToolState()
        script = Script(
            turns=[
                Turn(tool_calls=(ScriptedCall("call_slow", "slow", {"seconds": 30}),)),
                Turn(text="recovered"),
            ],
            tools=[slow_tool(state)],
        )

        async def go() -> None:
            async with self.serving(script) as kit:
                session = "s-" + self.token()
                run = await kit.start("wait a while", session)
                reader = asyncio.create_task(kit.collect(run))
                async with kit.host.runs.subscribe(run.run_id) as sub:
                    async for batch in sub:
                        if any(e.type == "tool.call" for e in batch):
                            break
                await state.started.wait()
                asked = time.monotonic()
                await kit.host.runs.cancel(run.run_id)
                took = time.monotonic() - asked
                result = await reader
                assert result.terminal.type == "run.cancelled", result.describe()
                assert run.task is not None and run.task.done()
                assert state.cancelled, f"the tool was not cancelled (cancel took {took:.2f} s)"
                assert not state.finished
                assert [c.name for c in result.of("tool.call")] == ["slow"]
                after = await kit.run("are you there?", session)
                assert after.terminal.type == "run.completed", after.describe()
                assert after.text.strip() == "recovered"

        self.run_async(go())


class TestWorkflowFactory(WorkflowCancel):
    """A function building a one-agent workflow: a new instance per run, history from the
    session (the factory shares the script's client, so the turns carry on across runs)."""

    adapter = None
    tool_errors = "report"

    def make_agent(self, script: Script) -> Any:
        agent = chat_agent(script, name="solo")

        def build() -> Workflow:
            from agent_framework import WorkflowBuilder

            return WorkflowBuilder(start_executor=agent).build()

        return build


class TestAgentFactory(AdapterSuite):
    """A function returning an ``Agent`` (annotated, so it is detected)."""

    adapter = None
    tool_errors = "report"

    def make_agent(self, script: Script) -> Any:
        client_agent = chat_agent(script)

        def build() -> Agent:
            return client_agent

        return build


class TestWorkflowInstance(WorkflowCancel):
    """One ``Workflow`` object: its runs take turns and it keeps one conversation, so the
    kit's session-isolation check does not apply (a factory gives each session its own)."""

    adapter = "maf"
    tool_errors = "report"

    def make_agent(self, script: Script) -> Any:
        return one_agent_workflow(script)

    def test_sessions_are_isolated(self) -> None:  # type: ignore[override]
        """Not a property of a shared workflow instance (see the class docstring)."""
