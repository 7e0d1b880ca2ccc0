"""What the signals cost the run registry: CPU time per run in-process, before, off, on.

    uv run python plugins/otel/bench/overhead.py [--runs 400] [--tokens 50] [--rounds 3]

- ``before``: ``agenthost/runs.py`` with its signal lines removed (loaded as its own module);
- ``off``: the registry as shipped, nothing subscribed (``signals.active`` is False);
- ``on``: ``agenthost-otel``'s ``Telemetry`` subscribed, 100% sampling, spans to a
  ``BatchSpanProcessor`` whose exporter drops them, metrics to an ``InMemoryMetricReader``.

Each round runs the three one after the other in one process (a loaded machine drifts: compare
within a round); the medians of the rounds are printed. A run: start, follow, drain
``--tokens`` text deltas, a tool call and result, usage, the terminal event.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import statistics
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import agenthost.runs
from agenthost import RunInput, ToolCall, ToolResult, Usage, UsageEvent
from agenthost.builtin.python_adapter import PythonAdapter
from agenthost.events import Message, TextPart
from agenthost.signals import signals
from agenthost.store.memory import MemoryStore


def before_module() -> Any:
    """``agenthost.runs`` without its signal lines: the registry as it was."""
    source = Path(agenthost.runs.__file__).read_text().splitlines(keepends=True)
    kept, skip = [], 0
    for line in source:
        if skip:
            skip -= 1
            continue
        if "from .signals import signals" in line:
            continue
        if line.strip() == "if signals.active:":
            skip = 1
            continue
        kept.append(line)
    text = "".join(kept)
    assert "signals" not in text, "runs.py has signal lines this script does not know"
    spec = importlib.util.spec_from_loader("agenthost._runs_before", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "agenthost"
    sys.modules[spec.name] = module
    exec(compile(text, "runs_before.py", "exec"), module.__dict__)
    return module


def make_agent(tokens: int) -> Any:
    async def agent(input: RunInput) -> AsyncIterator[Any]:
        yield ToolCall(call_id="c1", name="lookup", arguments={"q": "x"})
        yield ToolResult(call_id="c1", name="lookup", output="found")
        for i in range(tokens):
            yield f"t{i} "
        yield UsageEvent(usage=Usage(input_tokens=3, output_tokens=tokens))

    return agent


async def measure(runs_module: Any, runs: int, tokens: int) -> float:
    """CPU microseconds per run (the process's, all threads: the machine may be loaded, and
    wall-clock time then measures the neighbours): ``runs`` runs, 16 at a time."""
    adapter = PythonAdapter(make_agent(tokens), PythonAdapter.Options(), name="bench")
    entry = runs_module.AgentEntry(name="bench", adapter=adapter)
    store = MemoryStore(MemoryStore.Options())
    await store.open()
    registry = runs_module.RunRegistry({"bench": entry}, store)
    message = Message(role="user", parts=[TextPart(text="go")])
    gate = asyncio.Semaphore(16)

    async def one() -> None:
        async with gate:
            run = await registry.start(RunInput(agent="bench", messages=[message]))
            async with registry.follow(run) as sub:
                async for _ in sub:
                    pass

    gc.collect()
    began = time.process_time()
    await asyncio.gather(*(one() for _ in range(runs)))
    elapsed = time.process_time() - began
    await registry.close()
    await store.close()
    return elapsed / runs * 1e6


class _Host:
    """What ``Telemetry`` reads of a host, for a registry measured without one."""

    def __init__(self) -> None:
        self.agents: dict[str, Any] = {}
        self.runs = None
        self.sandboxes = None


def subscribe_otel() -> Any:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    from agenthost_otel.observer import Telemetry

    class Drop(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(Drop()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    telemetry = Telemetry(
        _Host(),
        tracer_provider.get_tracer("bench"),
        meter_provider.get_meter("bench"),
        record_content=False,
    )
    unsubscribe = signals.subscribe(telemetry)

    def stop() -> None:
        unsubscribe()
        tracer_provider.shutdown()
        meter_provider.shutdown()

    return stop


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    before = before_module()
    results: dict[str, list[float]] = {"before": [], "off": [], "on": []}
    await measure(agenthost.runs, 50, args.tokens)  # warm up imports and caches
    order = ["before", "off", "on"]
    for round_ in range(args.rounds):
        for name in order[round_ % 3 :] + order[: round_ % 3]:  # rotate: no variant always first
            if name == "before":
                results[name].append(await measure(before, args.runs, args.tokens))
            elif name == "off":
                assert not signals.active
                results[name].append(await measure(agenthost.runs, args.runs, args.tokens))
            else:
                stop = subscribe_otel()
                try:
                    results[name].append(await measure(agenthost.runs, args.runs, args.tokens))
                finally:
                    stop()
    events = args.tokens + 5
    base = statistics.median(results["before"])
    print(f"{args.runs} runs x {events} events, 16 concurrent, median of {args.rounds} rounds")
    for name, values in results.items():
        median = statistics.median(values)
        rounds = ", ".join(f"{v:.0f}" for v in values)
        print(
            f"  {name:<7} {median:7.0f} CPU us/run  {median / events:6.2f} us/event  "
            f"{(median / base - 1) * 100:+6.1f}% vs before   (rounds: {rounds})"
        )


if __name__ == "__main__":
    asyncio.run(main())
