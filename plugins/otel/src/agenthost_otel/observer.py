"""``Telemetry``: turns the host's lifecycle signals into OpenTelemetry spans and metrics.

Spans (GenAI semantic conventions where they apply):

    invoke_agent {agent}          one per run; parent: the caller's ``traceparent``, if any
      execute_tool {tool}         one per tool.call .. tool.result
        sandbox {op}              one per sandbox call made while that tool was open

The run span is made the current span of the run's task, so spans a framework's own
instrumentation makes inside the run nest under it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import time
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from agenthost.context import current_run
from agenthost.sandbox.errors import ExecutorCrashed, SandboxTimeout
from agenthost.signals import Observer

# The frontend that admitted the request a run was started from (set in the request's context,
# inherited by the run's task).
_protocol: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "agenthost_otel_protocol", default=None
)
TERMINAL = frozenset({"run.completed", "run.failed", "run.cancelled"})
CONTENT_LIMIT = 4096  # characters of content kept in an attribute when content is recorded


def _size(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value)
    try:
        return len(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return len(str(value))


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text[:CONTENT_LIMIT]


@dataclass
class _RunState:
    span: Span
    agent: str
    tools: dict[str, tuple[Span, float, str]] = field(default_factory=dict)  # call_id ->
    first_token: bool = False


def _kill_reason(error: BaseException | None) -> str | None:
    if isinstance(error, SandboxTimeout):
        return "timeout"
    if isinstance(error, ExecutorCrashed):
        return "crashed"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return None


class Telemetry(Observer):
    """One host's spans and metrics. Subscribe it with ``agenthost.signals.signals``."""

    def __init__(
        self, host: Any, tracer: Tracer | None, meter: Meter | None, *, record_content: bool
    ) -> None:
        self.host = host
        self.tracer = tracer
        self.record_content = record_content
        self._runs: dict[str, _RunState] = {}
        self._metrics = meter is not None
        if meter is not None:
            self._instruments(meter)

    def _instruments(self, meter: Meter) -> None:
        m = meter
        self.runs_started = m.create_counter("agenthost.runs.started", "{run}", "runs started")
        self.runs_finished = m.create_counter(
            "agenthost.runs.finished", "{run}", "runs ended, by agent and final status"
        )
        self.run_duration = m.create_histogram(
            "agenthost.run.duration", "s", "run duration, start (queue included) to end"
        )
        self.ttft = m.create_histogram(
            "agenthost.run.time_to_first_token", "s", "run start to its first text delta"
        )
        self.tokens = m.create_counter(
            "agenthost.tokens", "{token}", "tokens the finished runs reported, by type"
        )
        self.tool_calls = m.create_counter("agenthost.tool.calls", "{call}", "tool calls ended")
        self.tool_duration = m.create_histogram(
            "agenthost.tool.duration", "s", "tool.call to tool.result"
        )
        self.requests = m.create_counter(
            "agenthost.requests", "{request}", "requests the gate admitted, by frontend"
        )
        self.sandbox_calls = m.create_counter(
            "agenthost.sandbox.calls", "{call}", "sandbox calls ended, by op and outcome"
        )
        self.sandbox_call_duration = m.create_histogram(
            "agenthost.sandbox.call.duration", "s", "sandbox call duration"
        )
        self.sandbox_start = m.create_histogram(
            "agenthost.sandbox.start.duration", "s", "executor start latency"
        )
        self.sandbox_acquire = m.create_histogram(
            "agenthost.sandbox.acquire.duration", "s", "time to hand a sandbox out"
        )
        self.sandbox_kills = m.create_counter(
            "agenthost.sandbox.kills", "{kill}", "executors killed under a call, by reason"
        )
        self.sandbox_released_count = m.create_counter(
            "agenthost.sandbox.released", "{sandbox}", "sandboxes closed"
        )
        self.quota_rejections = m.create_counter(
            "agenthost.quota.rejections", "{rejection}", "requests and runs refused by a quota"
        )
        self.store_duration = m.create_histogram(
            "agenthost.store.duration", "s", "the run registry's store writes"
        )
        m.create_observable_gauge(
            "agenthost.runs.active", [self._observe_runs], "{run}", "runs running or queued"
        )
        m.create_observable_gauge(
            "agenthost.runs.queued",
            [self._observe_queued],
            "{run}",
            "runs waiting for their session (or another replica) to free up, by agent",
        )
        m.create_observable_gauge(
            "agenthost.principal.runs",
            [self._observe_principals],
            "{run}",
            "runs running per principal (the quota is agenthost.principal.runs.limit)",
        )
        m.create_observable_gauge(
            "agenthost.principal.runs.limit",
            [self._observe_limit],
            "{run}",
            "the per-principal concurrent-run quota",
        )
        for name, key, description in (
            ("agenthost.sandbox.pool.warm", "warm", "warm executors waiting in the pool"),
            ("agenthost.sandbox.live", "live", "executors alive: warm, in use, starting"),
            ("agenthost.sandbox.sessions", "sessions", "sessions holding a sandbox"),
        ):
            m.create_observable_gauge(name, [self._profile_gauge(key)], "{sandbox}", description)

    # -- gauges ------------------------------------------------------------------------------

    def _observe_runs(self, options: CallbackOptions) -> list[Observation]:
        counts = {"running": 0, "queued": 0}
        for run in self.host.runs.active():
            status = "queued" if run.record.status == "queued" else "running"
            counts[status] += 1
        return [Observation(n, {"status": s}) for s, n in counts.items()]

    def _observe_queued(self, options: CallbackOptions) -> list[Observation]:
        counts = {agent: 0 for agent in self.host.agents}
        for run in self.host.runs.active():
            if run.record.status == "queued":
                counts[run.record.agent] = counts.get(run.record.agent, 0) + 1
        return [Observation(n, {"agent": a}) for a, n in counts.items()]

    def _observe_principals(self, options: CallbackOptions) -> list[Observation]:
        counts: dict[str, int] = {}
        for run in self.host.runs.active():
            if run.record.status != "queued":
                counts[run.record.owner] = counts.get(run.record.owner, 0) + 1
        return [Observation(n, {"principal": p}) for p, n in counts.items()]

    def _observe_limit(self, options: CallbackOptions) -> list[Observation]:
        return [Observation(self.host.runs.policy.max_concurrent_runs)]

    def _profile_gauge(self, key: str) -> Any:
        def observe(options: CallbackOptions) -> list[Observation]:
            return [
                Observation(info[key], {"profile": name})
                for name, info in self.host.sandboxes.describe().items()
                if key in info
            ]

        return observe

    # -- requests ----------------------------------------------------------------------------

    def request(self, request: Any, frontend: str, principal: Any) -> None:
        _protocol.set(frontend)
        if "traceparent" in request.headers:
            # The request's own context: the run's task, created from it, inherits this.
            otel_context.attach(propagate.extract(request.headers))
        if self._metrics:
            self.requests.add(1, {"frontend": frontend})

    # -- runs and tools ----------------------------------------------------------------------

    def run_event(self, run: Any, event: Any) -> None:
        kind = event.type
        if kind == "message.delta":
            state = self._runs.get(run.run_id)
            if state is not None and not state.first_token:
                state.first_token = True
                if self._metrics:
                    elapsed = time.monotonic() - run.started_at
                    self.ttft.record(elapsed, {"agent": state.agent})
        elif kind == "tool.call":
            self._tool_call(run, event)
        elif kind == "tool.result":
            self._tool_result(run, event)
        elif kind == "run.started":
            self._run_started(run)
        elif kind in TERMINAL:
            self._run_finished(run, event)

    def _run_started(self, run: Any) -> None:
        record = run.record
        agent = record.agent
        if self._metrics:
            self.runs_started.add(1, {"agent": agent})
        if self.tracer is None:
            self._runs[run.run_id] = _RunState(trace.INVALID_SPAN, agent)
            return
        entry = self.host.agents.get(agent)
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": agent,
            "gen_ai.conversation.id": record.session_id,
            "agenthost.run.id": run.run_id,
            "agenthost.principal.id": record.owner,
        }
        if entry is not None:
            attributes["agenthost.framework"] = entry.adapter.name
        protocol = _protocol.get()
        if protocol is not None:
            attributes["agenthost.protocol"] = protocol
        span = self.tracer.start_span(
            f"invoke_agent {agent}", kind=SpanKind.INTERNAL, attributes=attributes
        )
        self._runs[run.run_id] = _RunState(span, agent)
        # run.started is appended in the run's own task: the run span becomes its current span,
        # so a framework's own spans (and anything else traced in the run) nest under it.
        otel_context.attach(trace.set_span_in_context(span))

    def _run_finished(self, run: Any, event: Any) -> None:
        record = run.record
        state = self._runs.pop(run.run_id, None)
        usage = record.usage
        labels = {"agent": record.agent, "status": record.status}
        if self._metrics:
            self.runs_finished.add(1, labels)
            self.run_duration.record(time.monotonic() - run.started_at, labels)
            if usage is not None:
                self.tokens.add(usage.input_tokens, {"agent": record.agent, "type": "input"})
                self.tokens.add(usage.output_tokens, {"agent": record.agent, "type": "output"})
        if state is None:
            return
        for span, _, _ in state.tools.values():
            span.set_status(Status(StatusCode.ERROR, "the run ended before the tool returned"))
            span.end()
        span = state.span
        span.set_attribute("agenthost.run.status", record.status)
        if usage is not None:
            span.set_attribute("gen_ai.usage.input_tokens", usage.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", usage.output_tokens)
        if event.type == "run.failed":
            span.set_attribute("error.type", event.code)
            message = f"{event.code}: {event.message}" if self.record_content else event.code
            span.set_status(Status(StatusCode.ERROR, message))
        elif event.type == "run.cancelled":
            span.set_attribute("agenthost.run.cancel_reason", event.reason or "")
        span.end()

    def _tool_call(self, run: Any, event: Any) -> None:
        state = self._runs.get(run.run_id)
        if state is None or self.tracer is None:
            if state is not None:
                state.tools[event.call_id] = (trace.INVALID_SPAN, time.monotonic(), event.name)
            return
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": event.name,
            "gen_ai.tool.call.id": event.call_id,
            "agenthost.run.id": run.run_id,
        }
        if self.record_content:
            attributes["gen_ai.tool.call.arguments"] = _text(event.arguments)
        span = self.tracer.start_span(
            f"execute_tool {event.name}",
            context=trace.set_span_in_context(state.span),
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        state.tools[event.call_id] = (span, time.monotonic(), event.name)

    def _tool_result(self, run: Any, event: Any) -> None:
        state = self._runs.get(run.run_id)
        if state is None:
            return
        opened = state.tools.pop(event.call_id, None)
        if opened is None:
            return
        span, began, name = opened
        if self._metrics:
            labels = {"agent": state.agent, "tool": name, "error": event.is_error}
            self.tool_calls.add(1, labels)
            self.tool_duration.record(time.monotonic() - began, labels)
        span.set_attribute("agenthost.tool.output_size", _size(event.output))
        if self.record_content:
            span.set_attribute("gen_ai.tool.call.result", _text(event.output))
        if event.is_error:
            span.set_status(Status(StatusCode.ERROR, "the tool returned an error"))
        span.end()

    # -- quotas and the store -----------------------------------------------------------------

    def quota_rejected(self, limit: str, principal: str) -> None:
        if self._metrics:
            self.quota_rejections.add(1, {"limit": limit})

    def store_call(self, op: str, seconds: float) -> None:
        if self._metrics:
            self.store_duration.record(seconds, {"op": op})

    # -- sandboxes ---------------------------------------------------------------------------

    def sandbox_spawned(self, profile: str, seconds: float) -> None:
        if self._metrics:
            self.sandbox_start.record(seconds, {"profile": profile})

    def sandbox_acquired(self, sandbox: Any, seconds: float) -> None:
        if self._metrics:
            self.sandbox_acquire.record(seconds, {"profile": sandbox.profile})

    def sandbox_released(self, sandbox: Any, reason: str) -> None:
        if self._metrics:
            self.sandbox_released_count.add(1, {"profile": sandbox.profile})

    def sandbox_call(
        self, sandbox: Any, op: str, start_ns: int, end_ns: int, reply: Any, error: Any
    ) -> None:
        header = reply.header if reply is not None else {}
        failure = header.get("error")
        exit_code = header.get("exit_code")
        if error is not None:
            outcome, why = "error", type(error).__name__
        elif isinstance(failure, dict):
            outcome, why = "error", str(failure.get("type", "Error"))
        elif exit_code not in (None, 0):
            outcome, why = "error", f"exit code {exit_code}"
        else:
            outcome, why = "ok", ""
        killed = _kill_reason(error)
        if self._metrics:
            labels = {"profile": sandbox.profile, "op": op, "outcome": outcome}
            self.sandbox_calls.add(1, labels)
            self.sandbox_call_duration.record((end_ns - start_ns) / 1e9, labels)
            if killed is not None:
                self.sandbox_kills.add(1, {"profile": sandbox.profile, "reason": killed})
        if self.tracer is None:
            return
        attributes: dict[str, Any] = {
            "agenthost.sandbox.id": sandbox.id,
            "agenthost.sandbox.profile": sandbox.profile,
            "agenthost.sandbox.op": op,
        }
        if reply is not None:
            attributes["agenthost.sandbox.output_bytes"] = sum(len(d) for _, d in reply.output)
            attributes["agenthost.sandbox.truncated"] = reply.truncated
        if exit_code is not None:
            attributes["agenthost.sandbox.exit_code"] = exit_code
        if killed is not None:
            attributes["agenthost.sandbox.killed"] = killed
        if why:
            attributes["error.type"] = why
        span = self.tracer.start_span(
            f"sandbox {op}",
            context=self._sandbox_parent(),
            kind=SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start_ns,
        )
        if outcome == "error":
            span.set_status(Status(StatusCode.ERROR, why))
        span.end(end_time=end_ns)

    def _sandbox_parent(self) -> otel_context.Context | None:
        """The tool span open in the calling run (the latest, when several are), else the
        run span, else whatever is current."""
        ctx = current_run.get()
        state = self._runs.get(ctx.run_id) if ctx is not None else None
        if state is None:
            return None
        spans = [span for span, _, _ in state.tools.values()]
        return trace.set_span_in_context(spans[-1] if spans else state.span)
