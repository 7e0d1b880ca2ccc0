"""Turn a2a-sdk's OpenTelemetry wrappers off when nothing would record their spans.

a2a-sdk wraps most of its methods in spans when ``opentelemetry`` is importable. With no
tracer provider configured those spans go nowhere, yet the wrappers measured about a third of
the server's time on a streamed request. The SDK reads its switch once, when first imported,
so this module runs before anything imports ``a2a``. An explicit
``OTEL_INSTRUMENTATION_A2A_SDK_ENABLED`` is left as it is; so is a configured provider (set up
tracing before the host loads its frontends to keep the SDK's spans).
"""

from __future__ import annotations

import os

SWITCH = "OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"


def quiet_unrecorded_tracing() -> None:
    if SWITCH in os.environ:
        return
    try:
        from opentelemetry import trace
    except ImportError:
        return
    if type(trace.get_tracer_provider()).__name__ in ("ProxyTracerProvider", "NoOpTracerProvider"):
        os.environ[SWITCH] = "false"


quiet_unrecorded_tracing()
