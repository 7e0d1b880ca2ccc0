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
    ("adapter", "check"),
    [
        (Forgetful, "test_same_session_remembers"),
        (NotStreaming, "test_text_streams_as_deltas"),
        (WrongCompletion, "test_text_streams_as_deltas"),
        (MadeUpToolOutput, "test_tool_call_then_result"),
        (SwallowsErrors, "test_agent_error_fails_the_run"),
        (SwallowsErrors, "test_tool_error"),
        (IgnoresCancel, "test_cancel_during_slow_tool"),
    ],
)
def test_the_kit_fails_a_broken_adapter(adapter: type[ExampleAdapter], check: str) -> None:
    suite = type(f"Broken{adapter.__name__}", (BrokenSuite,), {"broken": adapter})()
    with pytest.raises(AssertionError) as failure:
        getattr(suite, check)()
    print(f"{adapter.__name__} failed {check}: {str(failure.value).splitlines()[0]}")


def test_the_same_checks_pass_on_the_unbroken_adapter() -> None:
    suite = BrokenSuite()
    for check in ("test_same_session_remembers", "test_cancel_during_slow_tool"):
        getattr(suite, check)()


def test_a_suite_without_a_factory_says_what_to_implement() -> None:
    class Incomplete(AdapterSuite):
        __test__ = False

    with pytest.raises(NotImplementedError, match="make_agent"):
        Incomplete().make_agent(Script(turns=[]))
