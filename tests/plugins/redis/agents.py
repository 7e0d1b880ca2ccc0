"""Agents the Redis tests serve across replicas, held at gates the test opens through Redis.

The gate name is the user's text. The agent pushes ``gate:NAME:entered`` when it is running,
waits for ``gate:NAME:open``, and pushes ``gate:NAME:cancelled`` if it is stopped while
waiting: the test sees, in Redis, whether the work on the owning replica really stopped.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from agenthost import RunInput


async def gated(input: RunInput) -> AsyncIterator[str]:
    name = input.text
    client = aioredis.Redis.from_url(os.environ["GATE_REDIS_URL"])
    try:
        yield "waiting "
        await client.rpush(f"gate:{name}:entered", os.getpid())
        try:
            await client.blpop([f"gate:{name}:open"], timeout=0)
        except asyncio.CancelledError:
            await client.rpush(f"gate:{name}:cancelled", "1")
            raise
        yield "opened"
    finally:
        await client.aclose()


async def echo(text: str) -> AsyncIterator[str]:
    for word in text.split():
        yield word + " "
