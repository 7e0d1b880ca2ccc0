"""Structured JSON logs: one JSON object a line for the ``agenthost`` loggers, with the trace
and span ids of the current span (the run's, in a run's task)."""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
from typing import Any

from opentelemetry import trace

_FIELD = re.compile(r"(\w+)=%[-#0 +]*\d*(?:\.\d+)?[sdifrx]")


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The ``key=%s`` pairs of a ``log.info("run run_id=%s agent=%s ...", ...)`` call."""
    if not isinstance(record.msg, str) or not isinstance(record.args, tuple):
        return {}
    keys = _FIELD.findall(record.msg)
    if not keys or len(keys) != len(record.args):
        return {}
    pairs = zip(keys, record.args, strict=True)
    return {k: v if isinstance(v, (int, float, bool)) else str(v) for k, v in pairs}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", <key=value fields>, "trace_id", "span_id",
    "exception"}``; the ids only when a span is current, the exception only on errors that
    carry one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in fields(record).items():
            out.setdefault(key, value)
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            out["trace_id"] = format(span.trace_id, "032x")
            out["span_id"] = format(span.span_id, "016x")
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, default=str)


class JsonLogs:
    """Installs a JSON handler on the ``agenthost`` logger (which then stops propagating to
    the root's plain handlers) until ``uninstall``."""

    def __init__(self, logger_name: str = "agenthost") -> None:
        self.logger = logging.getLogger(logger_name)
        self.handler = logging.StreamHandler(sys.stderr)
        self.handler.setFormatter(JsonFormatter())
        self._propagate = self.logger.propagate

    def install(self) -> None:
        self.logger.addHandler(self.handler)
        self.logger.propagate = False

    def uninstall(self) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self._propagate
