"""agenthost-otel: OpenTelemetry traces and metrics for agenthost, and Prometheus ``/metrics``."""
