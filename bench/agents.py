"""The benchmark agent, served unchanged by agenthost and by the peers.

Stdlib only, so the peers' own venvs import it too: both sides run this very generator.
It yields 20 short text tokens, handing control back to the event loop between them (as a
model stream would) but with no delay, so a benchmark measures the runtime, not the agent.

    agenthost serve bench/agents.py:tokens20
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import sys
import types
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

TOKEN_COUNT = 20
TOKENS = [f"t{i:02d} " for i in range(TOKEN_COUNT)]
FULL_TEXT = "".join(TOKENS)  # what a complete answer reads; checked before every load run
TOOL_RESULT = "sunny"  # what the framework agents' one tool call returns


async def tokens20(text: str) -> AsyncIterator[str]:
    """Streams 20 text tokens, whatever it is asked."""
    for token in TOKENS:
        yield token
        await asyncio.sleep(0)


def adapter_testing(package: str) -> Any:
    """``<package>.testing`` (an adapter's scripted model), also where agenthost is absent.

    The workspace imports it as usual. A peer's own venv has the framework but not agenthost,
    so there the same file is loaded from the adapter's source tree, and so is what it builds
    on, ``agenthost.testing.script`` (which needs only ``agenthost.events``, i.e. pydantic):
    ``agenthost`` and ``agenthost.testing`` are registered as bare packages over core's
    source, so their ``__init__`` (the whole host) never runs in the peer.
    """
    try:
        return importlib.import_module(f"{package}.testing")
    except ImportError:
        root = Path(__file__).resolve().parent.parent
        _bare_package("agenthost", root / "core" / "src" / "agenthost")
        _bare_package("agenthost.testing", root / "core" / "src" / "agenthost" / "testing")
        name = package.removeprefix("agenthost_")
        path = root / "adapters" / name / "src" / package / "testing.py"
        spec = importlib.util.spec_from_file_location(f"{package}_testing", path)
        if spec is None or spec.loader is None:
            raise
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module


def _bare_package(name: str, path: Path) -> None:
    if name not in sys.modules:
        module = types.ModuleType(name)
        module.__path__ = [str(path)]
        sys.modules[name] = module
