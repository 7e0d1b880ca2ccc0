"""``OtelFrontend``: the ``[frontends.otel]`` component: builds the OpenTelemetry providers,
subscribes ``Telemetry`` to the host's signals, and serves Prometheus ``/metrics``.

Inert unless configured: with no ``endpoint`` (nor ``OTEL_EXPORTER_OTLP_ENDPOINT``) and
``prometheus = false`` it builds nothing and subscribes to nothing, so installing the plugin
costs a host nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, ClassVar

from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Tracer
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from agenthost.frontend import Frontend
from agenthost.signals import signals

from .logs import JsonLogs
from .observer import Telemetry

log = logging.getLogger("agenthost.otel")
SCOPE = "agenthost"
_ENDPOINT_VARS = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
)


class OtelOptions(BaseModel):
    """``[frontends.otel]``."""

    model_config = ConfigDict(extra="forbid")

    endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP base URL (…/v1/traces, …/v1/metrics are appended); unset: the "
        "standard OTEL_EXPORTER_OTLP_* variables, and no OTLP export when none is set",
    )
    service_name: str | None = Field(
        default=None, description="service.name; unset: OTEL_SERVICE_NAME, else 'agenthost'"
    )
    resource: dict[str, str] = Field(
        default_factory=dict, description="more resource attributes (service.version, ...)"
    )
    sampling_ratio: float = Field(
        default=1.0, ge=0.0, le=1.0, description="share of traces kept (a sampled parent wins)"
    )
    traces: bool = Field(default=True, description="export spans")
    metrics: bool = Field(default=True, description="export metrics over OTLP")
    metric_interval_seconds: float = Field(default=60.0, gt=0, description="OTLP metric push")
    prometheus: bool = Field(default=False, description="serve Prometheus text at metrics_path")
    metrics_path: str = Field(default="/metrics", pattern=r"^/")
    metrics_public: bool = Field(
        default=False, description="serve metrics_path without authentication"
    )
    record_content: bool = Field(
        default=False,
        description="put tool arguments and results and error messages on spans (off: sizes)",
    )
    json_logs: bool = Field(
        default=False,
        description="write the agenthost loggers' records (the per-run line, errors) to "
        "stderr as JSON objects, with the current trace and span ids",
    )
    global_provider: bool = Field(
        default=True,
        description="also install the tracer provider as OpenTelemetry's global one (so "
        "frameworks' own instrumentation exports through it), if none is installed yet",
    )


class OtelFrontend(Frontend):
    """OpenTelemetry traces and metrics of the host; Prometheus text at ``/metrics``."""

    name: ClassVar[str] = "otel"
    Options: ClassVar[type[BaseModel]] = OtelOptions

    def __init__(self, host: Any, options: BaseModel, versions: tuple[str, ...] = ()):
        super().__init__(host, options, versions)
        assert isinstance(options, OtelOptions)
        self.opts = options
        self.tracer_provider: TracerProvider | None = None
        self.meter_provider: MeterProvider | None = None
        self.telemetry: Telemetry | None = None
        self._registry: Any = None
        self._otlp_metrics: MetricReader | None = None
        self._unsubscribe: Any = None
        self.json_logs: JsonLogs | None = None

    @property
    def otlp(self) -> bool:
        return self.opts.endpoint is not None or any(os.environ.get(v) for v in _ENDPOINT_VARS)

    @property
    def enabled(self) -> bool:
        return self.otlp or self.opts.prometheus

    # -- routes ------------------------------------------------------------------------------

    def routes(self) -> list[BaseRoute]:
        if not self.opts.prometheus:
            return []
        return [Route(self.opts.metrics_path, self._metrics, methods=["GET"])]

    def public_path(self, path: str) -> bool:
        return self.opts.metrics_public and path == self.opts.metrics_path

    async def _metrics(self, request: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        if self._registry is None:
            return Response("metrics are not collected yet\n", status_code=503)
        return Response(generate_latest(self._registry), media_type=CONTENT_TYPE_LATEST)

    # -- lifecycle ---------------------------------------------------------------------------

    def _resource(self) -> Resource:
        attributes: dict[str, Any] = dict(self.opts.resource)
        if self.opts.service_name is not None:
            attributes["service.name"] = self.opts.service_name
        elif not os.environ.get("OTEL_SERVICE_NAME"):
            attributes.setdefault("service.name", "agenthost")
        return Resource.create(attributes)

    def _url(self, signal: str) -> str | None:
        base = self.opts.endpoint
        return None if base is None else f"{base.rstrip('/')}/v1/{signal}"

    def _tracer(self, resource: Resource) -> Tracer | None:
        if not (self.otlp and self.opts.traces):
            return None
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider = TracerProvider(
            resource=resource, sampler=ParentBased(TraceIdRatioBased(self.opts.sampling_ratio))
        )
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(self._url("traces"))))
        self.tracer_provider = provider
        if self.opts.global_provider and isinstance(
            trace.get_tracer_provider(), trace.ProxyTracerProvider
        ):
            trace.set_tracer_provider(provider)
        return provider.get_tracer(SCOPE)

    def _meter(self, resource: Resource) -> Meter | None:
        readers: list[MetricReader] = []
        if self.otlp and self.opts.metrics:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            exporter = OTLPMetricExporter(self._url("metrics"))
            interval = self.opts.metric_interval_seconds * 1000
            self._otlp_metrics = PeriodicExportingMetricReader(exporter, interval)
            readers.append(self._otlp_metrics)
        if self.opts.prometheus:
            from opentelemetry.exporter.prometheus import PrometheusMetricReader
            from prometheus_client import CollectorRegistry

            self._registry = CollectorRegistry()  # this host's own, not the process-global one
            readers.append(PrometheusMetricReader(registry=self._registry))
        if not readers:
            return None
        self.meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        return self.meter_provider.get_meter(SCOPE)

    async def startup(self) -> None:
        if self.opts.json_logs:
            self.json_logs = JsonLogs()
            self.json_logs.install()
        if not self.enabled:
            log.info("otel: no endpoint and prometheus = false: nothing is collected")
            return
        resource = self._resource()
        tracer = self._tracer(resource)
        meter = self._meter(resource)
        self.telemetry = Telemetry(
            self.host, tracer, meter, record_content=self.opts.record_content
        )
        self._unsubscribe = signals.subscribe(self.telemetry)

    def force_flush(self, timeout_millis: int = 10_000) -> bool:
        """Export every span and metric collected so far now; False if one did not go."""
        ok = True
        if self.tracer_provider is not None:
            ok = self.tracer_provider.force_flush(timeout_millis) and ok
        # Not the meter provider's force_flush: it would also make the Prometheus reader
        # collect, and that reader keeps what it collects for the next scrape (twice over).
        if self._otlp_metrics is not None:
            ok = self._otlp_metrics.force_flush(timeout_millis) and ok
        return ok

    async def shutdown(self) -> None:
        if self.json_logs is not None:
            self.json_logs.uninstall()
            self.json_logs = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        # The exporters flush over blocking HTTP: keep the event loop free meanwhile.
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is not None:
                await asyncio.to_thread(provider.shutdown)

    def describe(self) -> dict[str, Any]:
        return {
            "versions": [],
            "collecting": self._unsubscribe is not None,
            "otlp": self.otlp,
            "prometheus": self.opts.prometheus,
        }
