"""The optional gRPC binding: a2a-sdk's gRPC servicers on a ``grpc.aio`` server of its own port.

Needs ``grpcio`` (``pip install agenthost-a2a[grpc]``) and ``[frontends.a2a] grpc_listen``.
One server serves every agent: a 1.0 request names its agent in ``tenant`` (each card's gRPC
interface carries it; no tenant means the default agent); 0.3 has no tenant, so its service
reaches the default agent only. Credentials travel as ``authorization: Bearer ...`` metadata:
an interceptor admits each call through the host's gate and the call's handler then acts for
the principal it admitted (``owner.GRPC_CALLER``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio
from a2a.compat.v0_3 import a2a_v0_3_pb2_grpc
from a2a.compat.v0_3.grpc_handler import CompatGrpcHandler
from a2a.server.context import ServerCallContext
from a2a.server.request_handlers import GrpcHandler, RequestHandler
from a2a.server.request_handlers.grpc_handler import DefaultGrpcServerCallContextBuilder
from a2a.types import a2a_pb2_grpc
from a2a.utils.errors import InvalidParamsError

from agenthost.gate import Gate
from agenthost.http import HTTPProblem

from .owner import GRPC_CALLER, own
from .refusal import Refused

if TYPE_CHECKING:
    from .endpoint import AgentEndpoint
    from .frontend import A2AFrontend


class AgentRouter(RequestHandler):
    """A request handler that hands each call to the handler of the agent named by its tenant."""

    def __init__(self, frontend: A2AFrontend):
        self.frontend = frontend

    def _endpoint(self, context: ServerCallContext) -> AgentEndpoint:
        endpoint = self.frontend.endpoint(context.tenant or None)
        if endpoint is None:
            known = ", ".join(sorted(self.frontend.host.agents)) or "none"
            raise InvalidParamsError(
                message=f"tenant {context.tenant!r} names no agent; known agents: {known}"
            )
        return endpoint

    async def on_get_task(self, params: Any, context: ServerCallContext) -> Any:
        return await self._endpoint(context).handler.on_get_task(params, context)

    async def on_list_tasks(self, params: Any, context: ServerCallContext) -> Any:
        return await self._endpoint(context).handler.on_list_tasks(params, context)

    async def on_cancel_task(self, params: Any, context: ServerCallContext) -> Any:
        return await self._endpoint(context).handler.on_cancel_task(params, context)

    async def on_message_send(self, params: Any, context: ServerCallContext) -> Any:
        try:
            return await self._endpoint(context).handler.on_message_send(params, context)
        except Refused as refused:
            await _abort(context, refused)

    async def on_message_send_stream(  # type: ignore[override]
        self, params: Any, context: ServerCallContext
    ) -> AsyncIterator[Any]:
        context.state["method"] = "SendStreamingMessage"  # the executor streams deltas then
        handler = self._endpoint(context).handler
        try:
            async for event in handler.on_message_send_stream(params, context):
                yield event
        except Refused as refused:
            await _abort(context, refused)

    async def on_subscribe_to_task(  # type: ignore[override]
        self, params: Any, context: ServerCallContext
    ) -> AsyncIterator[Any]:
        async for event in self._endpoint(context).handler.on_subscribe_to_task(params, context):
            yield event

    async def on_create_task_push_notification_config(
        self, params: Any, context: ServerCallContext
    ) -> Any:
        handler = self._endpoint(context).handler
        return await handler.on_create_task_push_notification_config(params, context)

    async def on_get_task_push_notification_config(
        self, params: Any, context: ServerCallContext
    ) -> Any:
        handler = self._endpoint(context).handler
        return await handler.on_get_task_push_notification_config(params, context)

    async def on_list_task_push_notification_configs(
        self, params: Any, context: ServerCallContext
    ) -> Any:
        handler = self._endpoint(context).handler
        return await handler.on_list_task_push_notification_configs(params, context)

    async def on_delete_task_push_notification_config(
        self, params: Any, context: ServerCallContext
    ) -> None:
        handler = self._endpoint(context).handler
        await handler.on_delete_task_push_notification_config(params, context)

    async def on_get_extended_agent_card(self, params: Any, context: ServerCallContext) -> Any:
        return await self._endpoint(context).handler.on_get_extended_agent_card(params, context)


async def _abort(context: ServerCallContext, refused: Refused) -> None:
    """End the gRPC call with the refusal's status (RESOURCE_EXHAUSTED for a quota, ...)."""
    code = getattr(grpc.StatusCode, refused.status_name, grpc.StatusCode.UNKNOWN)
    await context.state["grpc_context"].abort(code, refused.message)


class _ContextBuilder(DefaultGrpcServerCallContextBuilder):
    """The SDK's call context, acting for the principal the interceptor admitted."""

    def build(self, context: grpc.aio.ServicerContext) -> ServerCallContext:
        # LookupError when a call skipped the interceptor: fail closed.
        return own(super().build(context), GRPC_CALLER.get())


class _Gate(grpc.aio.ServerInterceptor):
    """Admit each call through the host's gate, as the HTTP bindings are: UNAUTHENTICATED
    for bad credentials, RESOURCE_EXHAUSTED past the rate limit; an admitted call's handler
    runs with ``GRPC_CALLER`` set to its principal."""

    def __init__(self, gate: Gate):
        self.gate = gate

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        metadata = {
            k.lower(): v for k, v in (details.invocation_metadata or ()) if isinstance(v, str)
        }
        try:
            principal = await self.gate.admit(metadata, None)
        except HTTPProblem as problem:
            message = problem.message
            code = (
                grpc.StatusCode.RESOURCE_EXHAUSTED
                if problem.status == 429
                else grpc.StatusCode.UNAUTHENTICATED
            )
        else:
            return _acting_for(handler, principal)

        async def refuse(request: Any, context: grpc.aio.ServicerContext) -> None:
            await context.abort(code, message)

        async def refuse_stream(
            request: Any, context: grpc.aio.ServicerContext
        ) -> AsyncIterator[Any]:
            await context.abort(code, message)
            yield  # pragma: no cover - abort raises

        kind = (
            grpc.unary_stream_rpc_method_handler
            if handler.response_streaming
            else (grpc.unary_unary_rpc_method_handler)
        )
        return kind(
            refuse_stream if handler.response_streaming else refuse,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _acting_for(handler: grpc.RpcMethodHandler, principal: Any) -> grpc.RpcMethodHandler:
    """``handler``, running with ``GRPC_CALLER`` set to ``principal``.

    Set, not reset: each call runs in a task of its own, and every behaviour is wrapped, so
    no call can see another's principal.
    """
    if handler.unary_stream is not None:
        stream = handler.unary_stream

        async def streaming(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            GRPC_CALLER.set(principal)
            async for response in stream(request, context):
                yield response

        return grpc.unary_stream_rpc_method_handler(
            streaming,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    if handler.unary_unary is not None:
        unary = handler.unary_unary

        async def single(request: Any, context: grpc.aio.ServicerContext) -> Any:
            GRPC_CALLER.set(principal)
            return await unary(request, context)

        return grpc.unary_unary_rpc_method_handler(
            single,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    raise TypeError("the A2A services have unary and server-streaming methods only")


async def start_grpc(frontend: A2AFrontend, listen: str) -> tuple[grpc.aio.Server, int]:
    """Start the gRPC server on ``listen`` (``host:port``; port 0 picks one); (server, port)."""
    host_part = listen.rpartition(":")[0].strip("[]")
    frontend.host.gate.check_listener(host_part)  # no public listener without authentication
    server = grpc.aio.server(interceptors=[_Gate(frontend.host.gate)])
    router = AgentRouter(frontend)
    builder = _ContextBuilder()
    if "1.0" in frontend.enabled_versions:
        a2a_pb2_grpc.add_A2AServiceServicer_to_server(GrpcHandler(router, builder), server)
    if "0.3" in frontend.enabled_versions:
        a2a_v0_3_pb2_grpc.add_A2AServiceServicer_to_server(
            CompatGrpcHandler(router, builder), server
        )
    port = server.add_insecure_port(listen)
    if port == 0:
        raise OSError(f"frontends.a2a.grpc_listen: cannot listen on {listen!r}")
    await server.start()
    return server, port
