"""The MAF benchmark agent (bench/agents_maf.py) served by agent-framework-devui.

Runs in the peer's own venv (bench/setup_peers.sh):

    bench/.venvs/maf-devui/bin/python bench/peers/maf_devui_app.py --port 8091

DevUI is MAF's own OpenAI-compatible server: ``POST /v1/responses`` with
``metadata.entity_id`` runs an agent it was given (``serve(entities=[agent])``) and streams
Responses events; ready when ``GET /health`` answers. The app is built as ``serve()`` builds
it, with two changes a benchmark needs: the entity id is fixed (``agent_in_memory_tokens20``
instead of a random suffix, so the load generator's body can name it) and the UI and bearer
token are off (agenthost serves without either by default too). ``--quiet`` turns the access
log and INFO logging off, as ``log_level = "warning"`` does for agenthost; without it, the
logging is ``serve()``'s own (uvicorn at INFO, access log on).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for agents_maf.py

import uvicorn
from agent_framework_devui import DevServer
from agent_framework_devui._discovery import EntityDiscovery
from agents_maf import agent

ENTITY_ID = "agent_in_memory_tokens20"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--quiet", action="store_true", help="no access log, WARNING and up")
    args = parser.parse_args()
    EntityDiscovery._generate_entity_id = lambda self, *a, **kw: ENTITY_ID  # type: ignore
    server = DevServer(
        port=args.port, host=args.host, ui_enabled=False, auth_enabled=False, mode="user"
    )
    server.set_pending_entities([agent])
    level = "warning" if args.quiet else "info"
    if args.quiet:
        logging.basicConfig(level=logging.WARNING)
    uvicorn.run(
        server.get_app(), host=args.host, port=args.port, log_level=level,
        access_log=not args.quiet,
    )  # fmt: skip


if __name__ == "__main__":
    main()
