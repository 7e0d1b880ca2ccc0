"""MAF sessions kept in the host's store, keyed on the run context's session id.

MAF keeps a conversation in an ``AgentSession`` object (its history providers write into
``session.state``), not under an id. Each run restores the session from the host's keyed store
(``AgentSession.from_dict``) and saves it back when the run ends (``to_dict``), so history lives
where the host keeps everything else: in memory (bounded), in the sqlite file (a restart keeps
it) or in a shared store (every replica sees it). Approval requests the run ended waiting on
are kept beside the session, for the next message to answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent_framework import AgentSession, BaseAgent, Content, HistoryProvider
from agent_framework import Message as MafMessage

from agenthost.store import Store
from agenthost.store.memory import MemoryStore


@dataclass
class SavedSession:
    """One session as restored for a run."""

    session: AgentSession
    pending: list[Content] = field(default_factory=list)
    """``function_approval_request`` contents waiting for the user's answer."""


class SessionStore:
    """Load and save MAF sessions of one agent in the host's keyed store."""

    def __init__(self, store: Store | None, agent_name: str) -> None:
        # A run without a host store (an adapter driven directly) keeps sessions in memory.
        self.store = store if store is not None else MemoryStore()
        self.namespace = f"maf.sessions:{agent_name}"

    async def load(self, agent: BaseAgent, session_id: str) -> SavedSession:
        data = await self._get(session_id)
        if data is None:
            return SavedSession(agent.create_session(session_id=session_id))
        return SavedSession(
            AgentSession.from_dict(data["session"]),
            [Content.from_dict(p) for p in data.get("pending", [])],
        )

    async def save(self, session_id: str, saved: SavedSession) -> None:
        data = {
            "session": saved.session.to_dict(),
            "pending": [p.to_dict() for p in saved.pending],
        }
        await self.store.put(self.namespace, session_id, data)

    async def _get(self, session_id: str) -> dict[str, Any] | None:
        return await self.store.get(self.namespace, session_id)


async def remember_input(
    agent: BaseAgent, session: AgentSession, messages: list[MafMessage]
) -> None:
    """Store the user's messages of a run that ended early (cancelled or failed).

    MAF's history providers write only when a run ends normally, so a cancelled turn would
    leave no trace; writing the input alone (no half-made tool calls) keeps the history one
    that every model API accepts.
    """
    for provider in agent.context_providers:
        if isinstance(provider, HistoryProvider) and provider.store_inputs:
            state = session.state.setdefault(provider.source_id, {})
            await provider.save_messages(session.session_id, messages, state=state)
