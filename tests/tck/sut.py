"""The agent the A2A TCK talks to (system under test), served by agenthost.

A plain async generator (the built-in ``python`` adapter): it streams a reply word by word
over ``TCK_TASK_SECONDS`` (default 3 s), so tasks are observably ``working`` and can be
cancelled mid-run, as the TCK's docs/SUT_REQUIREMENTS.md asks. A message whose id starts with
``test-resubscribe-message-id`` keeps its task running for at least
2 x ``TCK_STREAMING_TIMEOUT`` (the TCK's resubscribe tests need that).

Like a chat agent, it then asks whether there is anything else (``input-required``), so the
task stays open: the TCK sends follow-up messages on the same task and expects them in its
history, which a completed (terminal) task would refuse. The TCK sends those follow-ups while
the task still works and looks for them in the history a moment later, so the host is
configured with ``message_while_working = "interrupt"`` (see run_tck.sh).

    agenthost serve tests/tck/agenthost.toml      (see tests/tck/run_tck.sh)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from agenthost import InputRequired, RunInput

STREAMING_TIMEOUT = float(os.environ.get("TCK_STREAMING_TIMEOUT", "2.0"))
TASK_SECONDS = float(os.environ.get("TCK_TASK_SECONDS", "3.0"))


async def tck_agent(input: RunInput) -> AsyncIterator[str | InputRequired]:
    """Answers the TCK: a greeting and an echo of what it was sent, streamed slowly."""
    message = input.messages[-1] if input.messages else None
    text = message.text_content if message else ""
    long_running = bool(message and message.id.startswith("test-resubscribe-message-id"))
    duration = 2 * STREAMING_TIMEOUT + 1 if long_running else TASK_SECONDS
    words = f"Hello World! You said: {text!r}. Thanks for your message!".split()
    pause = duration / len(words)
    for word in words:
        await asyncio.sleep(pause)  # the agent's "work": what a cancel must interrupt
        yield word + " "
    yield InputRequired(prompt="Anything else?")
