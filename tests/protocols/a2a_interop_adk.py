"""Runs google-adk's ``RemoteA2aAgent`` against an A2A server; prints what ADK saw as JSON.

Run by ``test_a2a_interop.py`` in a venv of its own (google-adk cannot share the workspace's
lock): ``python a2a_interop_adk.py CARD_URL BINDING stream|unary TEXT``. Prints one JSON
object: ``events`` (each ADK event of the remote agent: its text, whether it is partial,
whether ADK takes it as the final response) and ``session`` (the texts ADK kept in the
session, which holds no partial event).
"""

from __future__ import annotations

import asyncio
import json
import sys

import httpx
from a2a.client import ClientConfig, ClientFactory
from google.adk.agents.remote_a2a_agent import RemoteA2aAgent
from google.adk.runners import InMemoryRunner
from google.genai import types


def text_of(content: types.Content | None) -> str:
    if content is None or not content.parts:
        return ""
    return "".join(p.text or "" for p in content.parts if not p.thought)


async def main(card_url: str, binding: str, mode: str, text: str) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        config = ClientConfig(
            httpx_client=http,
            streaming=mode == "stream",
            supported_protocol_bindings=[binding],
        )
        agent = RemoteA2aAgent(
            name="remote", agent_card=card_url, a2a_client_factory=ClientFactory(config)
        )
        runner = InMemoryRunner(agent=agent, app_name="interop")
        session = await runner.session_service.create_session(app_name="interop", user_id="u")
        message = types.Content(role="user", parts=[types.Part(text=text)])
        events = []
        async for event in runner.run_async(
            user_id="u", session_id=session.id, new_message=message
        ):
            if event.error_message:
                raise SystemExit(f"ADK reported an error: {event.error_message}")
            if event.author != "remote":
                continue
            events.append(
                {
                    "text": text_of(event.content),
                    "partial": bool(event.partial),
                    "final": event.is_final_response(),
                }
            )
        stored = await runner.session_service.get_session(
            app_name="interop", user_id="u", session_id=session.id
        )
        assert stored is not None
        kept = [text_of(e.content) for e in stored.events if e.author == "remote"]
    print(json.dumps({"events": events, "session": kept}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
