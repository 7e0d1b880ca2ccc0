"""The adapter conformance kit: the suite every framework adapter passes.

An adapter's test module subclasses ``AdapterSuite`` and supplies one factory, ``make_agent``,
that builds a real agent of its framework on a scripted fake model (no network, no keys)::

    from agenthost.testing import AdapterSuite, Script

    class TestMyAdapter(AdapterSuite):
        adapter = "myframework"

        def make_agent(self, script: Script) -> object:
            return myframework.Agent(model=MyScriptedModel(script), tools=script.tools)

The scripted model answers each call with the next ``Turn`` of ``script.turns``: stream
``turn.text`` in several chunks (``turn.reply(user_texts)`` for echo turns), request
``turn.tool_calls``, raise ``RuntimeError(turn.error)`` when set, and report ``script.usage``
when given. ``script.tools`` are plain async functions for the framework to wrap as tools.

Every check goes through the host's public run API (``Host`` + ``host.runs``), so it sees what
every frontend sees. Class attributes switch off what a framework cannot do
(``streams_text``, ``reports_usage``) or change what it does with a failing tool
(``tool_errors``); say why in the subclass when you change one.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pytest

from ..events import TERMINAL_TYPES, Message, RunInput, Usage
from ..host import Host
from ..runs import Run
from .script import (
    Script,
    ScriptedCall,
    SlowToolState,
    Turn,
    failing_tool,
    lookup_tool,
    slow_tool,
)

# --------------------------------------------------------------------------- results


@dataclass
class RunResult:
    """The events of one run, checked for the invariants every run must hold."""

    run: Run
    events: list[Any]

    @property
    def terminal(self) -> Any:
        return self.events[-1]

    def of(self, kind: str) -> list[Any]:
        return [e for e in self.events if e.type == kind]

    @property
    def delta_text(self) -> str:
        return "".join(e.text for e in self.of("message.delta"))

    @property
    def text(self) -> str:
        """Text of the run's output messages (what ``run.completed`` carries)."""
        return "".join(m.text_content for m in getattr(self.terminal, "output", []))

    def describe(self) -> str:
        return "\n".join(e.model_dump_json(exclude={"run_id"})[:300] for e in self.events)


def check_invariants(events: list[Any]) -> None:
    """seq 0.. without gaps, ``run.started`` first, exactly one terminal event, last."""
    assert events, "the run produced no events"
    assert [e.seq for e in events] == list(range(len(events))), "seq is not 0, 1, 2, ..."
    assert events[0].type == "run.started", f"first event is {events[0].type}"
    terminals = [e.type for e in events if e.type in TERMINAL_TYPES]
    assert len(terminals) == 1, f"expected exactly one terminal event, got {terminals}"
    assert events[-1].type in TERMINAL_TYPES, f"last event is {events[-1].type}"


class KitHost:
    """One host serving the agent under test; ``run`` drives it through ``host.runs``."""

    def __init__(self, host: Host, agent: str):
        self.host = host
        self.agent = agent

    async def start(self, text: str, session: str | None = None) -> Run:
        run_input = RunInput(agent=self.agent, messages=[Message.text(text)], session_id=session)
        return await self.host.runs.start(run_input)

    async def collect(self, run: Run) -> RunResult:
        events: list[Any] = []
        async with self.host.runs.follow(run) as sub:
            async for batch in sub:
                events.extend(batch)
        check_invariants(events)
        return RunResult(run, events)

    async def run(self, text: str, session: str | None = None) -> RunResult:
        return await self.collect(await self.start(text, session))


# --------------------------------------------------------------------------- the suite


class AdapterSuite:
    """Subclass as ``TestSomething(AdapterSuite)`` and implement ``make_agent``."""

    adapter: ClassVar[str | None] = None
    """The registered adapter name; None leaves it to detection."""
    adapter_options: ClassVar[dict[str, Any]] = {}
    agent_name: ClassVar[str] = "agent"
    streams_text: ClassVar[bool] = True
    """The framework streams a model's text in chunks (so one answer is several deltas)."""
    reports_usage: ClassVar[bool] = True
    """The framework passes the model's token usage on."""
    tool_errors: ClassVar[Literal["fail", "report"]] = "fail"
    """What a tool exception does: ``fail`` the run, or ``report`` it to the model as an
    error result (``tool.result`` with ``is_error``) and go on."""
    timeout: ClassVar[float] = 30.0
    """Bound on any one check (a hang fails instead of stalling the suite)."""

    def make_agent(self, script: Script) -> Any:
        """A real agent of the framework on a scripted model following ``script``."""
        raise NotImplementedError(f"{type(self).__name__} must implement make_agent(script)")

    def host_config(self) -> dict[str, Any]:
        """The host's config (a mapping like agenthost.toml); override to test other stores."""
        return {"frontends": {}}

    @pytest.fixture(autouse=True)
    def _kit_paths(self, tmp_path: Any) -> None:
        self.tmp_path = tmp_path  # for host_config/make_agent overrides that need files

    # -- plumbing ----------------------------------------------------------------------

    def run_async(self, coro: Coroutine[Any, Any, None]) -> None:
        async def bounded() -> None:
            await asyncio.wait_for(coro, self.timeout)

        asyncio.run(bounded())

    def make_host(self) -> Host:
        """The host the checks run on: from ``host_config()`` and the installed plugins."""
        from ..config import parse_config

        return Host(parse_config(self.host_config(), f"<{type(self).__name__}>"))

    @asynccontextmanager
    async def serving(self, script: Script) -> AsyncIterator[KitHost]:
        host = self.make_host()
        host.add_agent(
            self.agent_name,
            self.make_agent(script),
            adapter=self.adapter,
            options=dict(self.adapter_options),
        )
        await host.startup()
        try:
            yield KitHost(host, self.agent_name)
        finally:
            await host.shutdown()

    @staticmethod
    def token() -> str:
        return "tok-" + uuid.uuid4().hex[:10]

    # -- the checks --------------------------------------------------------------------

    def test_detects_its_agents(self) -> None:
        """The adapter claims the framework's agents, so a config need not name it."""

        async def go() -> None:
            agent = self.make_agent(Script(turns=[Turn(text="hi")]))
            async with self.serving(Script(turns=[Turn(text="hi")])) as kit:
                name = kit.host.detect_adapter(agent)
                if self.adapter is not None:
                    assert name == self.adapter, f"detected adapter {name!r}, not {self.adapter!r}"
                assert name != "python", "a framework agent was taken for a plain callable"
                info = kit.host.agents[self.agent_name].adapter.describe()
                assert info.name == self.agent_name

        self.run_async(go())

    def test_text_streams_as_deltas(self) -> None:
        """Deltas in order; the completed message (and the run's output) is their concatenation."""
        text = "The quick brown fox jumps over the lazy dog."

        async def go() -> None:
            async with self.serving(Script(turns=[Turn(text=text)])) as kit:
                result = await kit.run("tell me something")
            assert result.terminal.type == "run.completed", result.describe()
            deltas = result.of("message.delta")
            if self.streams_text:
                assert len(deltas) > 1, f"the answer came as {len(deltas)} delta(s), not a stream"
            completed = [
                e.message for e in result.of("message.completed") if e.message.role == "assistant"
            ]
            assert len(completed) == 1, result.describe()
            assert completed[0].text_content == result.delta_text
            assert result.delta_text.strip() == text
            assert {d.message_id for d in deltas} == {completed[0].id}
            assert result.text.strip() == text

        self.run_async(go())

    def test_tool_call_then_result(self) -> None:
        """tool.call then tool.result with the same id and the tool's real output."""
        token, calls = self.token(), list[str]()
        script = Script(
            turns=[
                Turn(
                    text="Let me look.",
                    tool_calls=(
                        ScriptedCall("call_paris", "lookup", {"city": "Paris"}),
                        ScriptedCall("call_rome", "lookup", {"city": "Rome"}),
                    ),
                ),
                Turn(text="Sunny in both."),
            ],
            tools=[lookup_tool(token, calls)],
        )

        async def go() -> None:
            async with self.serving(script) as kit:
                result = await kit.run("weather in Paris and Rome?")
            assert result.terminal.type == "run.completed", result.describe()
            assert sorted(calls) == ["Paris", "Rome"], "the tool did not run once per call"
            tool_calls = result.of("tool.call")
            assert sorted(c.arguments.get("city") for c in tool_calls) == ["Paris", "Rome"]
            assert {c.name for c in tool_calls} == {"lookup"}
            results = {r.call_id: r for r in result.of("tool.result")}
            assert len({c.call_id for c in tool_calls}) == 2, "tool call ids are not distinct"
            for call in tool_calls:
                tool_result = results.get(call.call_id)
                assert tool_result is not None, f"no tool.result for call {call.call_id}"
                assert tool_result.seq > call.seq, "tool.result came before its tool.call"
                assert not tool_result.is_error
                assert token in str(tool_result.output), "the result is not the tool's output"
                assert call.arguments["city"] in str(tool_result.output)
            assert result.text.strip().endswith("Sunny in both.")

        self.run_async(go())

    def test_same_session_remembers(self) -> None:
        """A second run in the same session sees the first (the framework's own memory)."""

        async def go() -> None:
            async with self.serving(Script(turns=[Turn(echo=True), Turn(echo=True)])) as kit:
                session = "s-" + self.token()
                first = await kit.run("alpha", session)
                second = await kit.run("beta", session)
            assert first.text.strip() == "alpha", first.describe()
            assert second.text.strip() == "alpha | beta", second.describe()

        self.run_async(go())

    def test_sessions_are_isolated(self) -> None:
        """A run in another session does not see the first session's messages."""

        async def go() -> None:
            async with self.serving(Script(turns=[Turn(echo=True), Turn(echo=True)])) as kit:
                await kit.run("alpha", "a-" + self.token())
                other = await kit.run("gamma", "b-" + self.token())
            assert other.text.strip() == "gamma", other.describe()

        self.run_async(go())

    def test_cancel_during_slow_tool(self) -> None:
        """A cancel mid-tool ends the run with run.cancelled within the grace period, the
        tool's work stops, and the session takes the next message."""
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
                await state.started.wait()
                asked = time.monotonic()
                await kit.host.runs.stop(run, "cancelled by request")
                took = time.monotonic() - asked
                result = await reader
                assert result.terminal.type == "run.cancelled", result.describe()
                assert run.task is not None and run.task.done(), (
                    "the framework kept running past the cancel grace period "
                    f"({kit.host.runs.policy.cancel_grace_seconds} s)"
                )
                assert state.cancelled, f"the tool was not cancelled (cancel took {took:.2f} s)"
                assert not state.finished
                assert [c.name for c in result.of("tool.call")] == ["slow"]
                after = await kit.run("are you there?", session)
                assert after.terminal.type == "run.completed", after.describe()
                assert after.text.strip() == "recovered"

        self.run_async(go())

    def test_agent_error_fails_the_run(self) -> None:
        """An exception in the agent (its model) ends the run with run.failed carrying it."""
        token = self.token()

        async def go() -> None:
            async with self.serving(Script(turns=[Turn(error=f"model broke {token}")])) as kit:
                result = await kit.run("hello")
            assert result.terminal.type == "run.failed", result.describe()
            assert token in result.terminal.message, result.terminal.message

        self.run_async(go())

    def test_tool_error(self) -> None:
        """An exception in a tool fails the run (or, with ``tool_errors = "report"``, comes
        back as an error result and the run goes on)."""
        token = self.token()
        script = Script(
            turns=[
                Turn(tool_calls=(ScriptedCall("call_boom", "explode", {"reason": "test"}),)),
                Turn(text="handled"),
            ],
            tools=[failing_tool(f"tool broke {token}")],
        )

        async def go() -> None:
            async with self.serving(script) as kit:
                result = await kit.run("try the tool")
            if self.tool_errors == "fail":
                assert result.terminal.type == "run.failed", result.describe()
                assert token in result.terminal.message, result.terminal.message
            else:
                errors = [r for r in result.of("tool.result") if r.is_error]
                assert errors and token in str(errors[0].output), result.describe()
                assert result.terminal.type == "run.completed", result.describe()

        self.run_async(go())

    def test_usage_is_reported(self) -> None:
        """The model's token usage arrives as ``usage`` events and on ``run.completed``."""
        if not self.reports_usage:
            pytest.skip(f"{type(self).__name__}.reports_usage is False")
        usage = Usage(input_tokens=3, output_tokens=5, total_tokens=8)
        script = Script(turns=[Turn(text="counted")], usage=usage)

        async def go() -> None:
            async with self.serving(script) as kit:
                result = await kit.run("count")
            reported = result.of("usage")
            assert reported, result.describe()
            total = sum((e.usage for e in reported), Usage())
            assert (total.input_tokens, total.output_tokens) == (3, 5)
            assert result.terminal.usage is not None
            assert result.terminal.usage.output_tokens == 5

        self.run_async(go())


__all__ = [
    "AdapterSuite",
    "KitHost",
    "RunResult",
    "Script",
    "ScriptedCall",
    "SlowToolState",
    "Turn",
    "check_invariants",
    "failing_tool",
    "lookup_tool",
    "slow_tool",
]
