"""Served AutoGen agents for the end-to-end tests (scripted model clients: offline, no keys)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import TextMentionTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core.models import LLMMessage

from agenthost_autogen import Answer, ScriptedChatClient
from agenthost_autogen.testing import user_texts

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "autogen_agent.py"


def _echo(messages: Sequence[LLMMessage]) -> Answer:
    return Answer(" | ".join(user_texts(messages)), usage=(4, 2))


def echo() -> AssistantAgent:
    """A factory: every session gets its own agent, which echoes the user's messages so far."""
    client = ScriptedChatClient([_echo], repeat_last=True)
    return AssistantAgent("echo", model_client=client, model_client_stream=True)


def _ask(messages: Sequence[LLMMessage]) -> Answer:
    said = user_texts(messages)
    if len(said) == 1:
        return Answer("Which city?", calls=[("h1", "transfer_to_user", {})])
    return Answer(f"Booked a flight to {said[-1]}.")


asker = AssistantAgent(
    "booker",
    model_client=ScriptedChatClient([_ask], repeat_last=True),
    handoffs=["user"],
    model_client_stream=True,
    description="Books flights; asks where to.",
)


team = RoundRobinGroupChat(
    [
        AssistantAgent("writer", model_client=ScriptedChatClient(["A draft."], repeat_last=True),
                       model_client_stream=True, description="Writes drafts."),
        AssistantAgent("critic",
                       model_client=ScriptedChatClient(["Fine. APPROVED"], repeat_last=True),
                       model_client_stream=True, description="Approves drafts."),
    ],
    termination_condition=TextMentionTermination("APPROVED"),
    description="A writer and a critic.",
)


class SlowTool:
    """A tool that waits until cancelled; the test reads what happened to it."""

    def __init__(self) -> None:
        self.started = False
        self.cancelled = False
        self.finished = False

    async def wait_for(self, seconds: int) -> str:
        """Wait for a number of seconds."""
        self.started = True
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        self.finished = True
        return "waited"


def slow_agent(tool: SlowTool) -> Any:
    client = ScriptedChatClient(
        [Answer("Waiting.", calls=[("call_wait", "wait_for", {"seconds": 30})]), "done"]
    )
    return AssistantAgent("slow", model_client=client, tools=[tool.wait_for],
                          model_client_stream=True)
