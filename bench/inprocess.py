"""A framework's own ceiling: its benchmark agent run in a loop in one process, no HTTP.

    uv run python bench/inprocess.py maf --duration 10 --concurrency 16

Runs ``--concurrency`` runs at a time (each with a fresh session, as every benchmark request
has) for ``--duration`` seconds after ``--warmup`` seconds, checks that every run called the
tool and streamed the whole 20-token answer, and prints one line ``INPROC {json}`` with runs,
seconds, rps, p50_ms and p99_ms (bench/harness.py reads it). The agents are the ones the
servers run: bench/agents_<framework>.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/

from agents import FULL_TEXT, TOOL_RESULT

Run = Callable[[], Awaitable[tuple[str, bool]]]
"""One run of the agent: (the text it streamed, whether its tool answered)."""


def maf() -> Run:
    from agents_maf import agent

    async def once() -> tuple[str, bool]:
        text, tool = [], False
        async for update in agent.run("hi", stream=True, session=agent.create_session()):
            for content in update.contents:
                if content.type == "text":
                    text.append(content.text or "")
                elif content.type == "function_result":
                    tool = content.result == TOOL_RESULT
        return "".join(text), tool

    return once


def autogen() -> Run:
    from agents_autogen import make
    from autogen_agentchat.messages import ModelClientStreamingChunkEvent, ToolCallExecutionEvent

    async def once() -> tuple[str, bool]:
        text, tool = [], False
        # a fresh agent per run, as agenthost builds one per session
        async for event in make().run_stream(task="hi"):
            if isinstance(event, ModelClientStreamingChunkEvent):
                text.append(event.content)
            elif isinstance(event, ToolCallExecutionEvent):
                tool = event.content[0].content == TOOL_RESULT
        return "".join(text), tool

    return once


def agno() -> Run:
    from agents_agno import agent
    from agno.run.agent import RunContentEvent, ToolCallCompletedEvent

    counter = iter(range(1 << 62))

    async def once() -> tuple[str, bool]:
        text, tool = [], False
        # a fresh session per run; stream_events as agenthost's adapter and AgentOS run it
        session = f"inprocess-{next(counter)}"
        async for event in agent.arun("hi", stream=True, stream_events=True, session_id=session):
            if isinstance(event, RunContentEvent) and isinstance(event.content, str):
                text.append(event.content)
            elif isinstance(event, ToolCallCompletedEvent) and event.tool is not None:
                tool = event.tool.result == TOOL_RESULT
        return "".join(text), tool

    return once


def agentscope() -> Run:
    from agents_agentscope import make
    from agentscope.event import TextBlockDeltaEvent, ToolResultTextDeltaEvent
    from agentscope.message import Msg, TextBlock

    async def once() -> tuple[str, bool]:
        text, result = [], []
        # a new Agent per run: a new conversation, on the shared model and toolkit
        message = Msg(name="user", role="user", content=[TextBlock(text="hi")])
        async for event in make().reply_stream(message):
            if isinstance(event, TextBlockDeltaEvent):
                text.append(event.delta)
            elif isinstance(event, ToolResultTextDeltaEvent):
                result.append(event.delta)
        return "".join(text), "".join(result) == TOOL_RESULT

    return once


FRAMEWORKS: dict[str, Callable[[], Run]] = {
    "maf": maf,
    "autogen": autogen,
    "agno": agno,
    "agentscope": agentscope,
}


async def measure(once: Run, *, duration: float, warmup: float, concurrency: int) -> dict:
    text, tool = await once()
    if text != FULL_TEXT or not tool:
        raise SystemExit(f"inprocess: wrong run: tool answered={tool}, text={text!r}")
    latencies: list[float] = []

    async def worker(end: float, keep: bool) -> None:
        while time.perf_counter() < end:
            start = time.perf_counter()
            got, called = await once()
            if got != FULL_TEXT or not called:
                raise SystemExit(f"inprocess: wrong run under load: {called}, {got!r}")
            if keep:
                latencies.append(time.perf_counter() - start)

    if warmup > 0:
        end = time.perf_counter() + warmup
        await asyncio.gather(*(worker(end, False) for _ in range(concurrency)))
    start = time.perf_counter()
    end = start + duration
    await asyncio.gather(*(worker(end, True) for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    ordered = sorted(latencies)
    return {
        "runs": len(ordered),
        "seconds": seconds,
        "rps": len(ordered) / seconds,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
        "concurrency": concurrency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework", choices=sorted(FRAMEWORKS))
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    once = FRAMEWORKS[args.framework]()
    kw = {"duration": args.duration, "warmup": args.warmup, "concurrency": args.concurrency}
    print("INPROC " + json.dumps(asyncio.run(measure(once, **kw))), flush=True)


if __name__ == "__main__":
    main()
