"""The kit catches broken adapters: each one here breaks one promise, and the check for that
promise must fail on it. (The adapters wrap the example plugin's toy framework.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest

from agenthost import Host, MessageCompleted, MessageDelta, TextPart, ToolResult, hookimpl
from agenthost.testing import AdapterSuite, Script
from agenthost_example_adapter.adapter import ExampleAdapter

from .example import test_suite as example


class Forgetful(ExampleAdapter):
    """A new framework session on every run."""

    async def run(self, input: Any, ctx: Any) -> AsyncIterator[Any]:
        ctx.session_id = ctx.run_id
        async for event in super().run(input, ctx):
            yield event


class NotStreaming(ExampleAdapter):
    """Collects the text and sends it as one delta."""

    async def run(self, input: Any, ctx: Any) -> AsyncIterator[Any]:
        held: list[MessageDelta] = []
        async for event in super().run(input, ctx):
            if isinstance(event, MessageDelta):
                held.append(event)
                continue
            if held:
                yield MessageDelta(
                    message_id=held[0].message_id, text="".join(d.text for d in held)
                )
                held = []
            yield event


class WrongCompletion(ExampleAdapter):
    """Completes a message with other text than it streamed."""

    async def run(self, input: Any, ctx: Any) -> AsyncIterator[Any]:
        async for event in super().run(input, ctx):
            if isinstance(event, MessageCompleted):
                text = event.message.text_content.upper()
                event.message.parts = [TextPart(text=text)]
            yield event


class MadeUpToolOutput(ExampleAdapter):
    """Reports a tool result it did not get from the tool."""

    async def run(self, input: Any, ctx: Any) -> AsyncIterator[Any]:
        async for event in super().run(input, ctx):
            if isinstance(event, ToolResult):
                event.output = "ok"
            yield event


class SwallowsErrors(ExampleAdapter):
    """Turns the framework's exceptions into a polite answer."""

    async def run(self, input: Any, ctx: Any) -> AsyncIterator[Any]:
        try:
            async for event in super().run(input, ctx):
                yield event
        except Exception:
            yield "Sorry, something went wrong."


class IgnoresCancel(ExampleAdapter):
    """Runs the framework in a task of its own that a cancel of the run never reaches."""

    async def run(self, input: Any, ctx: Any) -> AsyncIterator[Any]:
        queue: asyncio.Queue[Any] = asyncio.Queue()

        async def pump() -> None:
            async for event in super(IgnoresCancel, self).run(input, ctx):
                await queue.put(event)
            await queue.put(None)

        self.task = asyncio.get_running_loop().create_task(pump())
        while (event := await queue.get()) is not None:
            yield event


class BrokenSuite(example.TestExampleAdapter):
    """The example's suite, on a host where ``broken`` is one of the adapters above."""

    __test__ = False  # run only through the tests below
    broken: ClassVar[type[ExampleAdapter]] = ExampleAdapter
    adapter = "broken"

    def make_host(self) -> Host:
        host = AdapterSuite.make_host(self)
        broken = self.broken

        class Plugin:
            @staticmethod
            @hookimpl
            def register_adapters(register: Any) -> None:
                register("broken", broken)

        host.plugins.register_plugin(Plugin, name="broken-adapter")
        return host


@pytest.mark.parametrize(
    ("adapter", "check", "fix"),
    [
        (Forgetful, "test_same_session_remembers", "map ctx.session_id to the framework's"),
        (NotStreaming, "test_text_streams_as_deltas", "yield a MessageDelta for each chunk"),
        (WrongCompletion, "test_text_streams_as_deltas", "complete the message with exactly"),
        (MadeUpToolOutput, "test_tool_call_then_result", "pass the tool's real return value"),
        (SwallowsErrors, "test_agent_error_fails_the_run", "let the framework's exception"),
        (SwallowsErrors, "test_tool_error", "let the tool's exception propagate"),
        (IgnoresCancel, "test_cancel_during_slow_tool", "`try: ... finally:`"),
    ],
)
def test_the_kit_fails_a_broken_adapter(
    adapter: type[ExampleAdapter], check: str, fix: str
) -> None:
    """Each failure says what happened, what to change, and prints the run's events."""
    suite = type(f"Broken{adapter.__name__}", (BrokenSuite,), {"broken": adapter})()
    with pytest.raises(AssertionError) as failure:
        getattr(suite, check)()
    message = str(failure.value)
    assert fix in message.partition("\nfix: ")[2]
    assert "\nevents of run r_" in message
    assert '"type":"run.started"' in message  # the event log, one event per line
    print(f"{adapter.__name__} failed {check}: {message.splitlines()[0]}")


def test_the_same_checks_pass_on_the_unbroken_adapter() -> None:
    suite = BrokenSuite()
    for check in ("test_same_session_remembers", "test_cancel_during_slow_tool"):
        getattr(suite, check)()


def test_a_suite_without_a_factory_says_what_to_implement() -> None:
    class Incomplete(AdapterSuite):
        __test__ = False

    with pytest.raises(NotImplementedError, match="make_agent"):
        Incomplete().make_agent(Script(turns=[]))
