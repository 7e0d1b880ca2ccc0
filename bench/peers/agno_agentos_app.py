"""The Agno benchmark agent (bench/agents_agno.py) served by Agno's own AgentOS.

    uv run python bench/peers/agno_agentos_app.py --port 8092

``AgentOS(agents=[agent]).get_app()`` is Agno's FastAPI app; ``POST /agents/tokens20/runs``
(form fields ``message``, ``stream=true``, ``session_id``) runs the agent with
``stream=True, stream_events=True`` and streams its events as SSE. Ready when ``GET /health``
answers. The agent keeps its sessions in its own ``InMemoryDb``, as it does under agenthost.
AgentOS runs in the workspace venv: it is part of agno itself (the same agno 3.1.10 the
adapter uses), and its FastAPI, uvicorn and python-multipart are already there.

Launched as ``AgentOS.serve`` launches it (uvicorn, access log off), but without its banner;
``--quiet`` also sets uvicorn to WARNING. Telemetry is off (no network).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for agents_agno.py
os.environ.setdefault("AGNO_TELEMETRY", "false")

import uvicorn
from agents_agno import agent
from agno.os import AgentOS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--quiet", action="store_true", help="uvicorn at WARNING")
    args = parser.parse_args()
    agent_os = AgentOS(id="bench", agents=[agent], telemetry=False)
    uvicorn.run(
        agent_os.get_app(),
        host=args.host,
        port=args.port,
        log_level="warning" if args.quiet else "info",
        access_log=False,  # AgentOS.serve's default
    )


if __name__ == "__main__":
    main()
