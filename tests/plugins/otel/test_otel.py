"""agenthost-otel end to end: a real agenthost server on an ephemeral loopback port serves an
agent that calls a tool which runs code in a real sandbox (local backend, no isolation: the
sandbox is not under test); the plugin exports over OTLP/HTTP to a real receiver the test
starts on loopback (``collector.py``: it decodes the protobuf bodies with the
``opentelemetry-proto`` messages). No in-memory exporter: the exporters are under test too.
Waits are the SDK's own ``force_flush`` (bounded), never sleeps.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from agenthost import AgentApp, Message, RunInput
from agenthost.config import Config
from agenthost.errors import QuotaExceeded
from agenthost.signals import signals
from agenthost.testing.server import ServerHandle, running_server

from .agents import HOLD, Hold
from .collector import Collector, attributes, running_collector

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
KEY = "otel-test-key"


def config(
    collector: Collector,
    *,
    keys: bool = False,
    host: dict[str, Any] | None = None,
    quotas: dict[str, Any] | None = None,
    frontends: dict[str, Any] | None = None,
    **otel: Any,
) -> Config:
    table: dict[str, Any] = {
        "host": {
            "api_keys": [{"env": "OTEL_TEST_KEY", "principal": "alice"}] if keys else [],
            **(host or {}),
        },
        "quotas": quotas or {},
        "agents": {
            "calculator": {"target": "tests.plugins.otel.agents:calculator"},
            "broken": {"target": "tests.plugins.otel.agents:broken"},
            "held": {"target": "tests.plugins.otel.agents:held"},
        },
        # pool = 0: no warm executor, so the pool gauges are exactly what the runs hold.
        "sandboxes": {"default": {"backend": "local", "pool": 0}},
        "frontends": {
            "native": {},
            "chat": {},
            "otel": {
                "endpoint": collector.url,
                "service_name": "otel-test",
                "prometheus": True,
                "global_provider": False,
                **otel,
            },
            **(frontends or {}),
        },
    }
    return Config.model_validate(table)


def otel_of(server: ServerHandle) -> Any:
    (frontend,) = [f for f in server.app.host.frontends if f.name == "otel"]
    return frontend


@pytest.fixture
def collector() -> Iterator[Collector]:
    with running_collector() as collector:
        yield collector


@pytest.fixture
def server(collector: Collector) -> Iterator[ServerHandle]:
    with running_server(AgentApp(config(collector))) as handle:
        yield handle
    assert not signals.active, "the plugin unsubscribes when the host stops"


def run(server: ServerHandle, agent: str, session: str, **headers: str) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/agents/{agent}/runs",
        json={"input": "go", "session_id": session, "stream": False},
        headers=headers,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def flush(server: ServerHandle) -> None:
    assert otel_of(server).force_flush(10_000), "an export did not complete"


def by_name(collector: Collector) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for span in collector.spans():
        out.setdefault(span.name, []).append(span)
    return out


def test_a_run_exports_the_span_tree_run_tool_sandbox_under_the_callers_trace(
    server: ServerHandle, collector: Collector
) -> None:
    body = run(server, "calculator", "s1", traceparent=TRACEPARENT)
    assert body["run"]["status"] == "completed"
    flush(server)
    spans = by_name(collector)
    (root,) = spans["invoke_agent calculator"]
    (tool,) = spans["execute_tool run_python"]
    (sandbox,) = spans["sandbox python"]

    # The caller's traceparent is the run span's parent; the tree is run -> tool -> sandbox.
    assert root.trace_id.hex() == TRACE_ID
    assert root.parent_span_id.hex() == PARENT_ID
    assert tool.trace_id == root.trace_id == sandbox.trace_id
    assert tool.parent_span_id == root.span_id
    assert sandbox.parent_span_id == tool.span_id
    assert root.start_time_unix_nano <= tool.start_time_unix_nano <= sandbox.start_time_unix_nano
    assert sandbox.end_time_unix_nano <= tool.end_time_unix_nano <= root.end_time_unix_nano

    run_attrs = attributes(root.attributes)
    assert run_attrs["gen_ai.operation.name"] == "invoke_agent"
    assert run_attrs["gen_ai.agent.name"] == "calculator"
    assert run_attrs["gen_ai.conversation.id"] == "s1"
    assert run_attrs["gen_ai.usage.input_tokens"] == 7
    assert run_attrs["gen_ai.usage.output_tokens"] == 5
    assert run_attrs["agenthost.run.id"] == body["run"]["run_id"]
    assert run_attrs["agenthost.run.status"] == "completed"
    assert run_attrs["agenthost.principal.id"] == "anonymous"
    assert run_attrs["agenthost.framework"] == "python"
    assert run_attrs["agenthost.protocol"] == "native"
    assert root.status.code == 0  # unset: not an error

    tool_attrs = attributes(tool.attributes)
    assert tool_attrs["gen_ai.operation.name"] == "execute_tool"
    assert tool_attrs["gen_ai.tool.name"] == "run_python"
    assert tool_attrs["gen_ai.tool.call.id"] == "c1"
    assert tool_attrs["agenthost.tool.output_size"] == len("42")
    assert "gen_ai.tool.call.arguments" not in tool_attrs  # no content by default

    box = attributes(sandbox.attributes)
    assert box["agenthost.sandbox.op"] == "python"
    assert box["agenthost.sandbox.profile"] == "default"
    assert box["agenthost.sandbox.id"].startswith("sbx")
    assert box["agenthost.sandbox.truncated"] is False
    assert sandbox.status.code == 0

    assert {"service.name": "otel-test"}.items() <= collector.resources()[0].items()


def test_the_openai_clients_traceparent_continues_its_trace(
    server: ServerHandle, collector: Collector
) -> None:
    """Through another frontend (Chat Completions) and its official client."""
    from openai import OpenAI

    client = OpenAI(
        base_url=server.url + "/v1",
        api_key="unused",
        max_retries=0,
        default_headers={"traceparent": TRACEPARENT},
    )
    completion = client.chat.completions.create(
        model="calculator", messages=[{"role": "user", "content": "go"}]
    )
    assert "42" in (completion.choices[0].message.content or "")
    flush(server)
    (root,) = by_name(collector)["invoke_agent calculator"]
    assert root.trace_id.hex() == TRACE_ID
    assert root.parent_span_id.hex() == PARENT_ID
    assert attributes(root.attributes)["agenthost.protocol"] == "chat"
    (sandbox,) = by_name(collector)["sandbox python"]
    assert sandbox.trace_id.hex() == TRACE_ID


def test_a_failed_tool_and_run_are_marked_in_error(
    server: ServerHandle, collector: Collector
) -> None:
    body = run(server, "broken", "s2")
    assert body["run"]["status"] == "failed"
    flush(server)
    spans = by_name(collector)
    (root,) = spans["invoke_agent broken"]
    (tool,) = spans["execute_tool run_python"]
    sandbox, killed = spans["sandbox python"]
    assert root.parent_span_id == b""  # no traceparent: a new trace
    error = 2  # STATUS_CODE_ERROR
    assert root.status.code == error
    assert attributes(root.attributes)["error.type"] == "RuntimeError"
    assert attributes(root.attributes)["agenthost.run.status"] == "failed"
    assert root.status.message == "RuntimeError"  # the message is content: off by default
    assert tool.status.code == error
    assert sandbox.status.code == error
    assert attributes(sandbox.attributes)["error.type"] == "ZeroDivisionError"
    assert sandbox.parent_span_id == tool.span_id
    assert killed.status.code == error
    assert attributes(killed.attributes)["agenthost.sandbox.killed"] == "timeout"
    assert attributes(killed.attributes)["error.type"] == "SandboxTimeout"
    assert killed.parent_span_id == tool.span_id


def _points(metric: Any) -> list[tuple[dict[str, Any], Any]]:
    data = getattr(metric, metric.WhichOneof("data"))
    out = []
    for point in data.data_points:
        value = (
            point.count
            if hasattr(point, "bucket_counts")
            else getattr(point, point.WhichOneof("value"))
        )
        out.append((attributes(point.attributes), value))
    return out


def test_metrics_count_what_the_runs_did_over_otlp_and_prometheus(
    server: ServerHandle, collector: Collector
) -> None:
    for _ in range(2):
        run(server, "calculator", "s1")
    run(server, "broken", "s2")
    flush(server)
    metrics = collector.latest_metrics()

    finished = dict(
        ((a["agent"], a["status"]), v) for a, v in _points(metrics["agenthost.runs.finished"])
    )
    assert finished == {("calculator", "completed"): 2, ("broken", "failed"): 1}
    durations = dict(
        ((a["agent"], a["status"]), n) for a, n in _points(metrics["agenthost.run.duration"])
    )
    assert durations == finished  # one histogram sample per run
    tools = {(a["tool"], a["error"]): v for a, v in _points(metrics["agenthost.tool.calls"])}
    assert tools == {("run_python", False): 2, ("run_python", True): 1}
    tokens = {(a["agent"], a["type"]): v for a, v in _points(metrics["agenthost.tokens"])}
    assert tokens == {("calculator", "input"): 14, ("calculator", "output"): 10}
    calls = {(a["op"], a["outcome"]): v for a, v in _points(metrics["agenthost.sandbox.calls"])}
    assert calls == {("python", "ok"): 2, ("python", "error"): 2}
    kills = {(a["profile"], a["reason"]): v for a, v in _points(metrics["agenthost.sandbox.kills"])}
    assert kills == {("default", "timeout"): 1}
    # Two sessions hold a sandbox; s2's executor was killed (it restarts on its next call), so
    # one executor is alive; pool = 0 so nothing is warm.
    assert _points(metrics["agenthost.sandbox.live"]) == [({"profile": "default"}, 1)]
    assert _points(metrics["agenthost.sandbox.sessions"]) == [({"profile": "default"}, 2)]
    assert _points(metrics["agenthost.sandbox.pool.warm"]) == [({"profile": "default"}, 0)]
    assert _points(metrics["agenthost.principal.runs.limit"]) == [({}, 64)]
    active = {a["status"]: v for a, v in _points(metrics["agenthost.runs.active"])}
    assert active == {"running": 0, "queued": 0}
    started = [v for _, v in _points(metrics["agenthost.sandbox.start.duration"])]
    assert started == [2]  # two executors spawned (the killed one restarts on its next call)

    # The same numbers as Prometheus text, parsed by prometheus_client's own parser.
    response = httpx.get(f"{server.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    samples = {
        (s.labels["agent"], s.labels["status"]): s.value
        for s in families["agenthost_runs_finished"].samples
        if s.name == "agenthost_runs_finished_total"
    }
    assert samples == {("calculator", "completed"): 2.0, ("broken", "failed"): 1.0}
    live = [s.value for s in families["agenthost_sandbox_live"].samples]
    assert live == [1.0]


def test_metrics_endpoint_is_behind_the_hosts_auth_unless_public(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_TEST_KEY", KEY)
    with running_server(AgentApp(config(collector, keys=True))) as server:
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 401
        ok = httpx.get(
            f"{server.url}/metrics", headers={"Authorization": f"Bearer {KEY}"}, timeout=10
        )
        assert ok.status_code == 200
        assert "agenthost_principal_runs_limit" in ok.text
        # The run's principal is the key's.
        body = httpx.post(
            f"{server.url}/agents/calculator/runs",
            json={"input": "go", "stream": False},
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=30,
        ).json()
        assert body["run"]["status"] == "completed"
        flush(server)
    (root,) = by_name(collector)["invoke_agent calculator"]
    assert attributes(root.attributes)["agenthost.principal.id"] == "alice"

    public = config(collector, keys=True, metrics_public=True)
    with running_server(AgentApp(public)) as server:
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 200
        runs = httpx.post(f"{server.url}/agents/calculator/runs", json={"input": "go"}, timeout=10)
        assert runs.status_code == 401  # only the metrics path is public


def test_sampling_ratio_zero_exports_no_spans_but_still_counts(collector: Collector) -> None:
    with running_server(AgentApp(config(collector, sampling_ratio=0.0))) as server:
        run(server, "calculator", "s1")
        flush(server)
    assert collector.spans() == []
    finished = _points(collector.latest_metrics()["agenthost.runs.finished"])
    assert finished == [({"agent": "calculator", "status": "completed"}, 1)]


def test_installed_but_not_configured_collects_nothing(
    collector: Collector, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    cfg = config(collector)
    assert cfg.frontends is not None
    cfg.frontends["otel"] = {}
    with running_server(AgentApp(cfg)) as server:
        assert not signals.active  # nothing subscribed: each emission point is one check
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 404
        assert run(server, "calculator", "s1")["run"]["status"] == "completed"
    assert collector.traces == [] and collector.metrics == []


def test_queued_runs_quota_rejections_and_store_latency(collector: Collector) -> None:
    """One run holds session q, a second waits behind it (queued); a run in another session
    is refused by max_concurrent_runs = 1 (over HTTP: 429), a third in q by
    max_queued_runs = 1. Every registered run's store write is timed, and every ended run's."""
    HOLD.reset()  # fresh events for this test
    cfg = config(
        collector,
        host={"session_policy": "queue"},
        quotas={"max_concurrent_runs": 1, "max_queued_runs": 1},
    )
    with running_server(AgentApp(cfg)) as server:
        runs = server.app.host.runs

        def start(session: str) -> Any:
            message = Message.text("go")
            return server.call(
                runs.start(RunInput(agent="held", messages=[message], session_id=session))
            )

        first = start("q")
        assert HOLD.entered.wait(Hold.WAIT), "the held run never started"
        second = start("q")
        assert second.record.status == "queued"
        refused = httpx.post(
            f"{server.url}/agents/held/runs",
            json={"input": "go", "session_id": "other", "stream": False},
            timeout=10,
        )
        assert refused.status_code == 429, refused.text
        with pytest.raises(QuotaExceeded) as third:
            start("q")
        assert third.value.limit == "max_queued_runs"

        flush(server)
        metrics = collector.latest_metrics()
        assert _points(metrics["agenthost.runs.queued"]) == [
            ({"agent": a}, 1 if a == "held" else 0) for a in ("calculator", "broken", "held")
        ]
        active = {a["status"]: v for a, v in _points(metrics["agenthost.runs.active"])}
        assert active == {"running": 1, "queued": 1}
        rejections = {a["limit"]: v for a, v in _points(metrics["agenthost.quota.rejections"])}
        assert rejections == {"max_concurrent_runs": 1, "max_queued_runs": 1}
        stores = {a["op"]: n for a, n in _points(metrics["agenthost.store.duration"])}
        assert stores == {"save_run": 2}  # the two runs registered; the refused ones were not

        HOLD.release.set()

        async def both_ended() -> None:
            await asyncio.wait_for(asyncio.gather(first.task, second.task), Hold.WAIT)

        server.call(both_ended())
        assert second.record.status == "completed"
        flush(server)
        metrics = collector.latest_metrics()
        assert {a["agent"]: v for a, v in _points(metrics["agenthost.runs.queued"])}["held"] == 0
        stores = {a["op"]: n for a, n in _points(metrics["agenthost.store.duration"])}
        assert stores == {"save_run": 2, "persist_run": 2}
        (point,) = [
            p
            for p in metrics["agenthost.store.duration"].histogram.data_points
            if attributes(p.attributes)["op"] == "persist_run"
        ]
        assert 0 < point.sum < Hold.WAIT  # seconds, not nanoseconds


def test_the_rate_limit_counts_as_a_quota_rejection(collector: Collector) -> None:
    with running_server(AgentApp(config(collector, quotas={"requests_per_minute": 1}))) as server:
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 200
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 429
        flush(server)
    rejections = _points(collector.latest_metrics()["agenthost.quota.rejections"])
    assert rejections == [({"limit": "requests_per_minute"}, 1)]


def test_json_logs_carry_the_run_fields_and_its_trace_and_span_ids(
    collector: Collector, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="agenthost")  # the CLI sets [host] log_level so
    agenthost_logger = logging.getLogger("agenthost")
    out = io.StringIO()
    with running_server(AgentApp(config(collector, json_logs=True))) as server:
        installed = otel_of(server).json_logs
        assert installed is not None and agenthost_logger.propagate is False
        installed.handler.setStream(out)
        body = run(server, "calculator", "s1", traceparent=TRACEPARENT)
        run(server, "broken", "s2")
        try:
            raise ValueError("the store is down")
        except ValueError:
            logging.getLogger("agenthost.test").exception("could not store run %s", "r_x")
        flush(server)
    assert agenthost_logger.propagate is True  # restored at shutdown
    assert installed.handler not in agenthost_logger.handlers

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    ends = {line["agent"]: line for line in lines if line["message"].startswith("run run_id=")}
    done, failed = ends["calculator"], ends["broken"]
    (root,) = by_name(collector)["invoke_agent calculator"]
    assert done["run_id"] == body["run"]["run_id"]
    assert done["status"] == "completed" and done["session"] == "s1"
    assert isinstance(done["duration_ms"], float)
    assert done["level"] == "INFO" and done["logger"] == "agenthost.runs"
    assert done["trace_id"] == TRACE_ID  # the caller's trace
    assert done["span_id"] == root.span_id.hex()  # the run span
    (broken,) = by_name(collector)["invoke_agent broken"]
    assert failed["status"] == "failed"
    assert failed["trace_id"] == broken.trace_id.hex()
    assert failed["span_id"] == broken.span_id.hex()
    (error,) = [line for line in lines if line["logger"] == "agenthost.test"]
    assert error["level"] == "ERROR"
    assert error["message"] == "could not store run r_x"
    assert "ValueError: the store is down" in error["exception"]
    assert "trace_id" not in error  # no span is current on the test's thread


@pytest.mark.parametrize("binding", ["JSONRPC", "HTTP+JSON"])
async def test_the_a2a_clients_traceparent_continues_its_trace(
    collector: Collector, binding: str
) -> None:
    """The a2a-sdk client sends ``traceparent`` as a service parameter of its call context
    (an HTTP header on these bindings); A2A's routes are an ASGI mount behind ``GatedApp``,
    which emits the gate's request signal like every other route."""
    from a2a.client import ClientCallContext
    from a2a.types import TaskState

    from tests.protocols.a2a_fixtures import client_for, final_state, user_message

    with running_server(AgentApp(config(collector, frontends={"a2a": {}}))) as server:
        client = await client_for(server.url + "/a2a/calculator", binding, "1.0")
        context = ClientCallContext(service_parameters={"traceparent": TRACEPARENT})
        events = []
        async with asyncio.timeout(30):
            async for event in client.send_message(user_message("go"), context=context):
                events.append(event)
        assert final_state(events) == TaskState.TASK_STATE_COMPLETED
        await client.close()
        assert await asyncio.to_thread(otel_of(server).force_flush, 10_000)
    spans = by_name(collector)
    (root,) = spans["invoke_agent calculator"]
    assert root.trace_id.hex() == TRACE_ID
    assert root.parent_span_id.hex() == PARENT_ID
    assert attributes(root.attributes)["agenthost.protocol"] == "a2a"
    (tool,) = spans["execute_tool run_python"]
    (sandbox,) = spans["sandbox python"]
    assert tool.parent_span_id == root.span_id and sandbox.parent_span_id == tool.span_id
    assert sandbox.trace_id.hex() == TRACE_ID
    requests = {
        a["frontend"]: v for a, v in _points(collector.latest_metrics()["agenthost.requests"])
    }
    assert requests.get("a2a", 0) >= 1
