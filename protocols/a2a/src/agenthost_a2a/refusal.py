"""The host refusing a call (authentication, rate limit, quotas), in each binding's error shape.

    JSON-RPC    the HTTP status, and {"jsonrpc", "id", "error": {"code": -32000, "message",
                "data": [ErrorInfo]}}
    HTTP+JSON   the HTTP status, and {"error": {"code", "status", "message", "details"}}
    gRPC        UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED, UNAVAILABLE

A2A defines no error of its own for these: it leaves authentication and limits to the
transport, so the HTTP status (and the gRPC code) is what clients act on; the body says what
happened and ``ErrorInfo.reason`` names it (``QUOTA_EXCEEDED`` with the limit in its
metadata, ``RATE_LIMIT_EXCEEDED``, ``UNAUTHENTICATED``, ...).
"""

from __future__ import annotations

from typing import Any

from a2a.utils.errors import A2AError
from starlette.responses import JSONResponse

from agenthost.errors import QuotaExceeded
from agenthost.http import HTTPProblem
from agenthost.problems import http_problem

REFUSED = "agenthost.refused"  # ServerCallContext.state key: the call's Refused, if any
JSONRPC_SERVER_ERROR = -32000  # JSON-RPC's implementation-defined server error
DOMAIN = "agenthost"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"

# HTTP status -> the google.rpc status name (HTTP+JSON "status") and gRPC status code name
STATUS_NAMES = {
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    503: "UNAVAILABLE",
}


class Refused(A2AError):
    """The host refused the call; ``status`` is its HTTP status.

    An ``A2AError``, so the SDK's own paths pass it along; the frontend renders it (the SDK
    would call it an internal error).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reason: str,
        metadata: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.metadata = metadata or {}
        self.headers = headers
        self.rejected_task: str | None = None  # a new task refused before it ran

    @classmethod
    def from_problem(cls, problem: HTTPProblem) -> Refused:
        """The gate's 401/403/429, or a run-start error's HTTPProblem."""
        reason = (problem.code or STATUS_NAMES.get(problem.status, "REFUSED")).upper()
        return cls(problem.status, problem.message, reason=reason, headers=problem.headers)

    @classmethod
    def from_start_error(cls, exc: Exception) -> Refused:
        """QuotaExceeded (429, naming the limit) or StoreUnavailable (503) from ``runs.start``."""
        refused = cls.from_problem(http_problem(exc))
        if isinstance(exc, QuotaExceeded):
            refused.metadata = {"limit": exc.limit, "value": str(exc.value)}
        return refused

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, "UNKNOWN")

    def details(self) -> list[dict[str, Any]]:
        return [
            {
                "@type": ERROR_INFO,
                "reason": self.reason,
                "domain": DOMAIN,
                "metadata": self.metadata,
            }
        ]

    def jsonrpc_response(self, request_id: Any = None) -> JSONResponse:
        body = {
            "jsonrpc": "2.0",
            "id": request_id,
            "error": {
                "code": JSONRPC_SERVER_ERROR,
                "message": self.message,
                "data": self.details(),
            },
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)

    def rest_response(self) -> JSONResponse:
        body = {
            "error": {
                "code": self.status,
                "status": self.status_name,
                "message": self.message,
                "details": self.details(),
            }
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)
