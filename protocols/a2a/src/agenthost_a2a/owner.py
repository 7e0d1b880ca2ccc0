"""Who a call is for: the host's ``Principal`` carried in a2a-sdk's ``ServerCallContext``.

The SDK hands its ``ServerCallContext`` to the task store, the push-config store and the
executor, so the principal the host's gate admitted travels in it: in ``state`` (read with
``principal_of``) and as the SDK's ``user`` (its ``user_name`` is the principal id).
"""

from __future__ import annotations

import contextvars

from a2a.auth.user import User
from a2a.server.context import ServerCallContext

from agenthost.events import ANONYMOUS_ID, Principal

PRINCIPAL = "agenthost.principal"  # ServerCallContext.state key

# The principal of the gRPC call being handled: the interceptor admits the call and sets it in
# the call's own task, the context builder reads it (grpc.aio gives the two nothing shared).
GRPC_CALLER: contextvars.ContextVar[Principal] = contextvars.ContextVar("agenthost_a2a_caller")


class PrincipalUser(User):
    """The SDK's view of a host principal."""

    def __init__(self, principal: Principal):
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return self.principal.id != ANONYMOUS_ID

    @property
    def user_name(self) -> str:
        return self.principal.id


def own(context: ServerCallContext, principal: Principal) -> ServerCallContext:
    """``context``, now acting for ``principal``."""
    context.state[PRINCIPAL] = principal
    context.user = PrincipalUser(principal)
    return context


def principal_of(context: ServerCallContext) -> Principal:
    """The principal a call acts for.

    Raises RuntimeError when the call carries none (it did not come through the host's gate):
    failing closed beats reading or writing tasks as nobody in particular.
    """
    principal = context.state.get(PRINCIPAL)
    if not isinstance(principal, Principal):
        raise RuntimeError("an A2A call without a principal: it did not pass the host's gate")
    return principal
