"""The benchmark agent (bench/agents.py:tokens20) served by agentscope-runtime 1.1.6.

Runs in the peer's own venv (bench/setup_peers.sh):

    bench/.venvs/agentscope-runtime/bin/python bench/peers/agentscope_app.py --port 8090

One AgentApp serves it on its three endpoints: ``POST /process`` (its agent API, SSE),
``POST /compatible-mode/v1/responses`` (OpenAI Responses) and ``POST /a2a`` (A2A JSON-RPC,
a2a-sdk 0.3; its card says ``streaming: false``). Ready when ``GET /health`` answers.

``--framework text`` (the default) feeds the generator's strings to the runtime's plain-text
stream adapter: its lightest path. ``--framework agentscope`` wraps each token in an
agentscope ``Msg`` (cumulative content, as agentscope agents stream), the path an agentscope
agent takes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/, for agents.py

from agents import tokens20
from agentscope_runtime.engine import AgentApp, Runner


class TextRunner(Runner):
    """The agent's tokens as plain text deltas (framework type "text")."""

    def __init__(self) -> None:
        super().__init__()
        self.framework_type = "text"

    async def query_handler(self, request: Any = None, response: Any = None, **kw: Any) -> Any:
        async for token in tokens20(_last_user_text(request)):
            yield token


class AgentScopeRunner(Runner):
    """The agent's tokens as an agentscope ``Msg`` stream (framework type "agentscope")."""

    def __init__(self) -> None:
        super().__init__()
        self.framework_type = "agentscope"

    async def query_handler(self, msgs: Any = None, **kw: Any) -> AsyncIterator[Any]:
        from agentscope.message import Msg, TextBlock

        text = ""
        msg = Msg(name="tokens20", role="assistant", content=[TextBlock(type="text", text="")])
        tokens = [t async for t in tokens20("")]
        for i, token in enumerate(tokens):
            text += token
            msg.content = [TextBlock(type="text", text=text)]
            yield msg, i == len(tokens) - 1


def _last_user_text(request: Any) -> str:
    for message in reversed(getattr(request, "input", None) or []):
        if getattr(message, "role", None) == "user":
            for content in message.content or []:
                if getattr(content, "text", None):
                    return str(content.text)
    return ""


def build_app(framework: str) -> AgentApp:
    runner = TextRunner() if framework == "text" else AgentScopeRunner()
    return AgentApp(
        app_name="tokens20",
        app_description="Streams 20 text tokens, whatever it is asked.",
        runner=runner,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--framework", choices=["text", "agentscope"], default="text")
    parser.add_argument(
        "--quiet", action="store_true", help="no access log (the default AgentApp.run logs each)"
    )
    args = parser.parse_args()
    app = build_app(args.framework)
    if args.quiet:
        import uvicorn

        uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    else:
        app.run(host=args.host, port=args.port)  # the runtime's own launcher and log settings


if __name__ == "__main__":
    main()
