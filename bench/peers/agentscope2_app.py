"""The AgentScope benchmark agent (bench/agents_agentscope.py) on AgentScope 2.x's own app.

    bench/.venvs/agentscope-app/bin/python bench/peers/agentscope2_app.py --port 8093

``agentscope.app.create_app`` is AgentScope 2's FastAPI service. It has no endpoint that runs
an agent and answers with its stream: agents, model credentials and sessions are records
(``POST /credential/``, ``/agent/``, ``/sessions/``, header ``X-User-ID``), a run is started by
``POST /chat/`` (fire-and-forget) and its events come over the session's SSE subscription,
``GET /sessions/{id}/stream``, which stays open. bench/pyload.py drives that; this
file only builds the app as its docstring shows, with what it needs to run offline:

- storage: ``AsyncSQLAlchemyStorage`` on a sqlite file under ``--data`` (a file store, as
  agenthost's sqlite store is), or with ``--redis host:port/db`` its ``RedisStorage``;
  message bus: ``InMemoryMessageBus`` (one process); workspaces:
  ``LocalWorkspaceManager`` under ``--data`` with one workspace per session (the default,
  one per agent, would make every request the same session, which runs one reply at a time);
- the scripted model: a credential type (``bench_scripted``) whose chat model class is the
  adapter's ``ScriptedChatModel`` answering with bench/agents_agentscope.py's script; the
  ``weather`` tool comes from ``extra_agent_tools``;
- no channel worker and no scheduler (nothing uses them); ready when ``GET /health`` answers.
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/

import uvicorn
from agents_agentscope import respond, testing, weather_tool
from agentscope.app import create_app
from agentscope.app.message_bus import InMemoryMessageBus
from agentscope.app.storage import AsyncSQLAlchemyStorage
from agentscope.app.workspace_manager import LocalWorkspaceManager
from agentscope.app.workspace_manager._base import IsolationPolicy
from agentscope.credential import CredentialBase


class BenchModel(testing.ScriptedChatModel):
    """The benchmark script, built the way the app builds a model from a credential."""

    type = "bench_scripted"

    def __init__(self, credential: Any = None, model: str = "scripted", **kw: Any) -> None:
        super().__init__([respond], repeat_last=True, name=model)


class BenchCredential(CredentialBase):
    """A credential whose chat model is the scripted one (no key, no network)."""

    type: Literal["bench_scripted"] = "bench_scripted"

    @classmethod
    def get_chat_model_class(cls) -> Any:
        return BenchModel

    @classmethod
    def get_chat_model_classes(cls) -> list[Any]:
        return [BenchModel]


async def weather_tools(*args: Any) -> list[Any]:
    return [weather_tool]


def build_app(data: Path, redis: str | None = None) -> Any:
    data.mkdir(parents=True, exist_ok=True)
    storage: Any
    if redis:  # host:port/db
        from agentscope.app.storage import RedisStorage

        address, _, db = redis.partition("/")
        host, _, port = address.rpartition(":")
        storage = RedisStorage(host=host, port=int(port), db=int(db or 0))
    else:
        storage = AsyncSQLAlchemyStorage(url=f"sqlite+aiosqlite:///{data / 'agentscope.db'}")
    return create_app(
        storage=storage,
        message_bus=InMemoryMessageBus(),
        workspace_manager=LocalWorkspaceManager(
            str(data / "workspaces"), isolation=IsolationPolicy.PER_SESSION
        ),
        enable_channel_worker=False,
        enable_scheduler=False,
        extra_credentials=[BenchCredential],
        extra_agent_tools=weather_tools,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument(
        "--data", type=Path, help="a folder for its files (default: a temporary one, removed)"
    )
    parser.add_argument("--redis", help="host:port/db: RedisStorage there instead of sqlite")
    parser.add_argument("--quiet", action="store_true", help="no access log, WARNING and up")
    args = parser.parse_args()
    data = args.data
    if data is None:
        data = Path(tempfile.mkdtemp(prefix="bench-agentscope-app-"))
        atexit.register(shutil.rmtree, data, True)
    uvicorn.run(
        build_app(data, args.redis),
        host=args.host,
        port=args.port,
        log_level="warning" if args.quiet else "info",
        access_log=not args.quiet,
    )


if __name__ == "__main__":
    main()
