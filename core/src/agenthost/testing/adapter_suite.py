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
        return event_log(self.events)


def event_log(events: list[Any]) -> str:
    """One line per event (long ones cut), the way the kit prints a run that failed a check."""
    return "\n".join(
        "  " + e.model_dump_json(exclude={"run_id"})[:300] for e in events
    ) or "  (no events)"


def require(ok: object, what: str, fix: str, *results: RunResult) -> None:
    """Fail a check unless ``ok``: what went wrong, what to change, and each run's events."""
    if ok:
        return
    logs = "".join(f"\nevents of run {r.run.run_id}:\n{r.describe()}" for r in results)
    raise AssertionError(f"{what}\nfix: {fix}{logs}")


NO_TERMINAL = (
    "do not yield run.completed, run.failed or run.cancelled from run(): end the generator "
    "(or raise) and the host emits the one terminal event"
)


def check_invariants(events: list[Any]) -> None:
    """seq 0.. without gaps, ``run.started`` first, exactly one terminal event, last."""

    def require_(ok: bool, what: str) -> None:
        if not ok:
            raise AssertionError(f"{what}\nfix: {NO_TERMINAL}\nevents:\n{event_log(events)}")

    require_(bool(events), "the run produced no events")
    require_([e.seq for e in events] == list(range(len(events))), "seq is not 0, 1, 2, ...")
    require_(events[0].type == "run.started", f"the first event is {events[0].type}")
    terminals = [e.type for e in events if e.type in TERMINAL_TYPES]
    require_(len(terminals) == 1, f"expected exactly one terminal event, got {terminals}")
    require_(events[-1].type in TERMINAL_TYPES, f"the last event is {events[-1].type}")


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
                fix = (
                    f"make detects(obj) return True for {type(agent).__qualname__} objects, and "
                    "name the framework's module in detect_modules=(...) when the plugin "
                    "registers the adapter"
                )
                if self.adapter is not None:
                    require(name == self.adapter,
                            f"the host detected adapter {name!r} for the agent, not "
                            f"{self.adapter!r}", fix)
                require(name != "python", "the framework's agent was taken for a plain callable "
                        "(the python adapter)", fix)
                info = kit.host.agents[self.agent_name].adapter.describe()
                require(info.name == self.agent_name,
                        f"describe() named the agent {info.name!r}, not {self.agent_name!r}",
                        "keep AgentInfo.name = self.agent_name (the base describe() does)")

        self.run_async(go())

    def test_text_streams_as_deltas(self) -> None:
        """Deltas in order; the completed message (and the run's output) is their concatenation."""
        text = "The quick brown fox jumps over the lazy dog."

        async def go() -> None:
            async with self.serving(Script(turns=[Turn(text=text)])) as kit:
                result = await kit.run("tell me something")
            require(result.terminal.type == "run.completed",
                    f"the run ended with {result.terminal.type}, not run.completed",
                    "the scripted model answered once with text: run() must end normally",
                    result)
            deltas = result.of("message.delta")
            if self.streams_text:
                require(len(deltas) > 1,
                        f"the answer came as {len(deltas)} delta(s), not a stream",
                        "yield a MessageDelta for each chunk the framework streams (or set "
                        "streams_text = False on the suite and say why)", result)
            completed = [
                e.message for e in result.of("message.completed") if e.message.role == "assistant"
            ]
            require(len(completed) == 1,
                    f"{len(completed)} assistant message.completed events for one model answer",
                    "complete each model answer once, with the id its deltas used (or not at "
                    "all: the host completes streamed text you do not complete)", result)
            require(completed[0].text_content == result.delta_text,
                    "the completed message's text differs from its deltas joined",
                    "complete the message with exactly the text you streamed", result)
            require(result.delta_text.strip() == text,
                    f"the deltas carry {result.delta_text.strip()!r}, the model said {text!r}",
                    "stream the model's text verbatim", result)
            require({d.message_id for d in deltas} == {completed[0].id},
                    "the deltas and the completed message do not share one message_id",
                    "use one id per model answer, e.g. agenthost.new_id('m'), for its deltas "
                    "and its MessageCompleted", result)
            require(result.text.strip() == text,
                    f"run.completed's output is {result.text.strip()!r}, not {text!r}",
                    "the output is the completed messages: complete the answer's message",
                    result)

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
            require(result.terminal.type == "run.completed",
                    f"the run ended with {result.terminal.type}, not run.completed",
                    "run the model's tool calls with the framework and go on to its next answer",
                    result)
            require(sorted(calls) == ["Paris", "Rome"],
                    f"the tool ran for {sorted(calls)}, not once for Paris and once for Rome",
                    "wrap script.tools as the framework's tools in make_agent, and have the "
                    "scripted model request turn.tool_calls", result)
            tool_calls = result.of("tool.call")
            require(sorted(str(c.arguments.get("city")) for c in tool_calls) == ["Paris", "Rome"]
                    and {c.name for c in tool_calls} == {"lookup"},
                    "the tool.call events are not the two lookup calls the model made",
                    "yield ToolCall(call_id=..., name=..., arguments={...parsed...}) for each "
                    "call the model makes", result)
            results = {r.call_id: r for r in result.of("tool.result")}
            require(len({c.call_id for c in tool_calls}) == 2, "tool call ids are not distinct",
                    "use the framework's call id (one per call) as call_id", result)
            for call in tool_calls:
                tool_result = results.get(call.call_id)
                require(tool_result is not None, f"no tool.result for call {call.call_id}",
                        "yield ToolResult(call_id=<the call's id>, output=...) when the tool "
                        "returns", result)
                assert tool_result is not None
                require(tool_result.seq > call.seq, "a tool.result came before its tool.call",
                        "yield the ToolCall when the model asks, the ToolResult after the tool "
                        "ran", result)
                require(not tool_result.is_error, f"call {call.call_id} reported an error",
                        "the lookup tool cannot fail: pass its return value as output", result)
                require(token in str(tool_result.output)
                        and call.arguments["city"] in str(tool_result.output),
                        f"the result of {call.call_id} is not what the tool returned",
                        "pass the tool's real return value as ToolResult.output", result)
            require(result.text.strip().endswith("Sunny in both."),
                    f"the run's output {result.text.strip()!r} does not end with the model's "
                    "answer after the tools, 'Sunny in both.'",
                    "after the tool results, stream and complete the model's next answer as a "
                    "new message (a new id)", result)

        self.run_async(go())

    def test_same_session_remembers(self) -> None:
        """A second run in the same session sees the first (the framework's own memory)."""

        async def go() -> None:
            async with self.serving(Script(turns=[Turn(echo=True), Turn(echo=True)])) as kit:
                session = "s-" + self.token()
                first = await kit.run("alpha", session)
                second = await kit.run("beta", session)
            fix = ("map ctx.session_id to the framework's own conversation key (thread id, "
                   "session id, memory) so two runs with the same id continue one conversation")
            require(first.text.strip() == "alpha",
                    f"the first run answered {first.text.strip()!r}, not 'alpha'",
                    "send the run's input messages to the model", first)
            require(second.text.strip() == "alpha | beta",
                    f"the second run of the session answered {second.text.strip()!r}, not "
                    "'alpha | beta': the model did not see the first run", fix, first, second)

        self.run_async(go())

    def test_sessions_are_isolated(self) -> None:
        """A run in another session does not see the first session's messages."""

        async def go() -> None:
            async with self.serving(Script(turns=[Turn(echo=True), Turn(echo=True)])) as kit:
                await kit.run("alpha", "a-" + self.token())
                other = await kit.run("gamma", "b-" + self.token())
            require(other.text.strip() == "gamma",
                    f"a run in a new session answered {other.text.strip()!r}, not 'gamma': it "
                    "saw another session's messages",
                    "key the framework's memory on ctx.session_id, never share one across "
                    "sessions", other)

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
                fix = ("the task iterating run() is cancelled: let the CancelledError reach the "
                       "framework's work, and for a framework with its own cancel API call it in "
                       "a `try: ... finally:` around the stream (ctx.cancelled is set first)")
                require(result.terminal.type == "run.cancelled",
                        f"the cancelled run ended with {result.terminal.type}",
                        "do not catch CancelledError in run(); " + fix, result)
                grace = kit.host.runs.policy.cancel_grace_seconds
                require(run.task is not None and run.task.done(),
                        f"the framework kept running past the cancel grace period ({grace} s)",
                        fix, result)
                require(state.cancelled,
                        f"the tool was not cancelled (the cancel took {took:.2f} s)", fix, result)
                require(not state.finished, "the tool ran to its end after the cancel", fix,
                        result)
                require([c.name for c in result.of("tool.call")] == ["slow"],
                        "the cancelled run does not show the one slow tool call",
                        "yield the ToolCall before the framework runs the tool", result)
                after = await kit.run("are you there?", session)
                require(after.terminal.type == "run.completed" and
                        after.text.strip() == "recovered",
                        "the session's next message after a cancel did not get the model's "
                        "next answer 'recovered'",
                        "leave the framework's session usable after a cancel (no lock or "
                        "half-written state held)", result, after)

        self.run_async(go())

    def test_agent_error_fails_the_run(self) -> None:
        """An exception in the agent (its model) ends the run with run.failed carrying it."""
        token = self.token()

        async def go() -> None:
            async with self.serving(Script(turns=[Turn(error=f"model broke {token}")])) as kit:
                result = await kit.run("hello")
            fix = ("let the framework's exception propagate out of run(); the host turns it into "
                   "run.failed (do not turn it into text)")
            require(result.terminal.type == "run.failed",
                    f"the model raised, and the run ended with {result.terminal.type}", fix,
                    result)
            require(token in result.terminal.message,
                    f"run.failed does not carry the model's error: {result.terminal.message!r}",
                    fix, result)

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
                require(result.terminal.type == "run.failed" and
                        token in result.terminal.message,
                        "a tool raised and the run did not fail with the tool's error",
                        "let the tool's exception propagate out of run(); if the framework "
                        "reports tool errors to the model instead, set tool_errors = \"report\" "
                        "on the suite", result)
            else:
                errors = [r for r in result.of("tool.result") if r.is_error]
                require(bool(errors) and token in str(errors[0].output),
                        "a tool raised and no tool.result with is_error carries its error",
                        "yield ToolResult(call_id=..., output=<the error>, is_error=True)",
                        result)
                require(result.terminal.type == "run.completed",
                        f"after a reported tool error the run ended with "
                        f"{result.terminal.type}",
                        "go on to the model's next answer after an error result", result)

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
            fix = ("yield UsageEvent(usage=Usage(input_tokens=..., output_tokens=..., "
                   "total_tokens=...)) once per model call (or set reports_usage = False on "
                   "the suite and say why)")
            require(bool(reported), "the model reported usage and no usage event came", fix,
                    result)
            total = sum((e.usage for e in reported), Usage())
            require((total.input_tokens, total.output_tokens) == (3, 5),
                    f"usage events sum to {total.input_tokens} in / {total.output_tokens} out, "
                    "the model reported 3 / 5",
                    "report each model call's usage once, with the framework's numbers", result)
            require(result.terminal.usage is not None
                    and result.terminal.usage.output_tokens == 5,
                    "run.completed does not carry the summed usage", fix, result)

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
    "event_log",
    "failing_tool",
    "lookup_tool",
    "require",
    "slow_tool",
]
