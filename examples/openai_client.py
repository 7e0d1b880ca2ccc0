"""Talk to agenthost agents with the official ``openai`` client: Responses and Chat Completions.

Run it as it is — it serves the agent below on a free local port and talks to it:

    python examples/openai_client.py

or serve the agent yourself and point the client at it:

    agenthost serve examples/openai_client.py:calc         # listens on 127.0.0.1:8000
    python examples/openai_client.py --url http://127.0.0.1:8000/v1

The agent is a plain async generator (the built-in ``python`` adapter): it streams its answer,
runs Python in its session's sandbox with the neutral ``run_python`` tool, and remembers the
conversation. Any framework's agent (LangGraph, Agno, ...) is served the same way.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from typing import Any

from openai import AsyncOpenAI, OpenAI

from agenthost import AgentApp, RunContext, RunInput, ToolCall, ToolResult
from agenthost.sandbox.tools import run_python

app = AgentApp()


@app.agent("calc", adapter="python", description="Evaluates arithmetic in a Python sandbox")
async def calc(input: RunInput, ctx: RunContext) -> AsyncIterator[Any]:
    """Evaluates the user's expression in Python and says how many turns it has seen."""
    turns = 1 + sum(m.role == "user" for m in await ctx.history())
    yield f"Turn {turns}. Computing {input.text!r}... "
    code = f"result = {input.text}\nresult"
    yield ToolCall(call_id=f"py{turns}", name="run_python", arguments={"code": code})
    output = await run_python(code, timeout=30)  # the session's sandbox; state persists
    yield ToolResult(call_id=f"py{turns}", output=str(output))
    yield f"The answer is {output}."


def responses(client: OpenAI) -> None:
    print("== Responses API")
    first = client.responses.create(model="calc", input="6 * 7")
    print(first.output_text)
    for item in first.output:  # the agent's own tool call is an item the client never answers
        if item.type == "code_interpreter_call":
            logs = [o.logs for o in item.outputs or [] if o.type == "logs"]
            print(f"  ran {item.code!r} -> {logs}")

    # previous_response_id continues the conversation (and its sandbox: `result` is still there)
    print("-- streamed, continuing the conversation")
    with client.responses.stream(
        model="calc", input="result + 1", previous_response_id=first.id
    ) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                print(event.delta, end="", flush=True)
        print()
        final = stream.get_final_response()
    print(f"  status={final.status} items={[item.type for item in final.output]}")
    print(f"  retrieved: {client.responses.retrieve(final.id).output_text!r}")


async def chat(client: AsyncOpenAI) -> None:
    print("== Chat Completions")
    print("models:", [model.id async for model in client.models.list()])
    stream = await client.chat.completions.create(
        model="calc",
        messages=[{"role": "user", "content": "2 ** 10"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            print(chunk.choices[0].delta.content, end="", flush=True)
        if chunk.usage is not None:
            print(f"\n  usage: {chunk.usage.total_tokens} tokens (as reported by the agent)")


def run(base_url: str) -> None:
    responses(OpenAI(base_url=base_url, api_key="not-needed-on-loopback"))
    asyncio.run(chat(AsyncOpenAI(base_url=base_url, api_key="not-needed-on-loopback")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="base URL of a running host, e.g. http://127.0.0.1:8000/v1")
    args = parser.parse_args()
    if args.url:
        run(args.url)
        return
    from agenthost.testing.server import running_server

    with running_server(app) as server:
        run(server.url + "/v1")


if __name__ == "__main__":
    main()
