"""What the host's gate attaches to a request: its ``Principal``."""

from __future__ import annotations

from starlette.requests import Request

from .events import Principal

PRINCIPAL_KEY = "agenthost.principal"  # the ASGI scope key the gate sets


def principal_of(request: Request) -> Principal:
    """The principal the host's gate admitted this request as.

    Raises RuntimeError for a request that did not pass the gate (a route served outside
    the host's mount): failing closed beats serving it as nobody in particular.
    """
    principal = request.scope.get(PRINCIPAL_KEY)
    if principal is None:
        raise RuntimeError(
            f"{request.method} {request.url.path} was not admitted by the host's gate; "
            "serve frontend routes through AgentApp (agenthost.mount.mount_host)"
        )
    assert isinstance(principal, Principal)
    return principal
