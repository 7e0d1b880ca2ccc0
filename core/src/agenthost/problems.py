"""The HTTP error for each reason a run cannot start, shared by the HTTP frontends."""

from __future__ import annotations

from .errors import QuotaExceeded, SessionBusy, StoreUnavailable
from .http import HTTPProblem

START_ERRORS = (SessionBusy, QuotaExceeded, StoreUnavailable)


def http_problem(exc: Exception) -> HTTPProblem:
    """409 busy session, 429 quota, 503 store; re-raises anything else."""
    if isinstance(exc, SessionBusy):
        return HTTPProblem(409, str(exc), code="session_busy")
    if isinstance(exc, QuotaExceeded):
        return HTTPProblem(429, str(exc), type="rate_limit_error", code="quota_exceeded")
    if isinstance(exc, StoreUnavailable):
        return HTTPProblem(503, str(exc), type="server_error", code="store_unavailable")
    raise exc
