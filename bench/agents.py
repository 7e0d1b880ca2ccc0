"""The benchmark agent, served unchanged by agenthost and by the peers.

Stdlib only, so the peers' own venvs import it too: both sides run this very generator.
It yields 20 short text tokens, handing control back to the event loop between them (as a
model stream would) but with no delay, so a benchmark measures the runtime, not the agent.

    agenthost serve bench/agents.py:tokens20
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

TOKEN_COUNT = 20
TOKENS = [f"t{i:02d} " for i in range(TOKEN_COUNT)]
FULL_TEXT = "".join(TOKENS)  # what a complete answer reads; checked before every load run


async def tokens20(text: str) -> AsyncIterator[str]:
    """Streams 20 text tokens, whatever it is asked."""
    for token in TOKENS:
        yield token
        await asyncio.sleep(0)
