"""CPU per native SSE run with and without an API key, in one process (no HTTP, no wrk).

    AGENTHOST_LOAD_PLUGINS= uv run python bench/auth_cpu.py 1000 5

The same app (bench/agents.py:tokens20, native frontend, log_level warning) driven through
ASGI by httpx, one request at a time; the process's CPU time per request, open and keyed
rounds alternating, medians printed. On a machine busy with other work this is far steadier
than req/s over HTTP (bench/gate_cost.py, bench/auth_overhead.py).
"""

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import agents as bench_agents
import httpx

from agenthost import AgentApp
from agenthost.config import parse_config

os.environ["BENCH_KEY"] = "k" * 26

def make(keyed):
    host = {"log_level": "warning"}
    if keyed:
        host["api_keys"] = [{"env": "BENCH_KEY", "principal": "bench"}]
    app = AgentApp(parse_config({"host": host, "frontends": {"native": {}}}))
    app.agent("tokens20")(bench_agents.tokens20)
    return app

async def measure(app, keyed, n):
    headers = {"authorization": "Bearer " + "k" * 26} if keyed else {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", headers=headers
        ) as c:
            for i in range(50):
                await c.post("/agents/tokens20/runs", json={"input": "hi", "session_id": f"w{i}"})
            t = time.process_time()
            for i in range(n):
                body = {"input": "hi", "session_id": f"s{i}"}
                r = await c.post("/agents/tokens20/runs", json=body)
                assert r.status_code == 200, r.text
            return 1000 * (time.process_time() - t) / n

async def main(n, rounds):
    res = {False: [], True: []}
    for _ in range(rounds):
        for keyed in (False, True):
            res[keyed].append(await measure(make(keyed), keyed, n))
    o, k = statistics.median(res[False]), statistics.median(res[True])
    print(f"open {o:.3f}  keyed {k:.3f} CPU ms/req (medians of {rounds}); keyed/open {k/o:.3f}")
    out = Path(__file__).parent / "results" / f"auth_cpu-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"n": n, "rounds": rounds, "open_ms": res[False],
                               "keyed_ms": res[True], "loadavg": os.getloadavg()}, indent=2))
    print(f"results: {out}")

if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
