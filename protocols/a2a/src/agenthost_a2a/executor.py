"""``RunExecutor``: the SDK's ``AgentExecutor`` for one agent, driving ``host.runs``.

Each A2A request on a task starts one run (contextId = session_id) and relays the run's
neutral events as task events:

    run.started                     → working
    message.delta                   → artifact chunk (append), when the client streams; the
                                      newest delta of a message is held back ...
    message.completed               → ... and sent as its last chunk (``lastChunk``), or the
                                      whole artifact when nothing streamed
                                      (a member's name, ``Message.name``, in its metadata)
    artifact                        → an artifact of its own
    tool.call / tool.result         → working, with a data part describing the call
    run.input_required + completed  → input-required (the next message continues the task)
    run.completed / failed / cancelled → completed / failed / canceled

Other A2A clients (google-adk's ``RemoteA2aAgent``, Microsoft Agent Framework's ``A2AAgent``)
take the text of the ``lastChunk`` update as the answer's final piece, so a message's last
chunk carries its last text: an empty closing chunk only for a message that has no text.

Runs are detached: a streaming client going away leaves the task running (A2A tasks outlive
connections); ``CancelTask`` cancels the run for real. Each run belongs to the principal of
the request (``owner.principal_of``), so its session is that principal's.

A run the host refuses to start (a quota, the store down) is recorded in the request's
context (``REFUSED``) for the frontend to answer as an error: a new task is ``rejected``
(then deleted), a continued one goes back to ``input-required``, saying why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Part as A2APart
from a2a.types import Task, TaskState, TaskStatus
from google.protobuf.json_format import MessageToDict

from agenthost.errors import QuotaExceeded, SessionBusy, StoreUnavailable
from agenthost.events import RunInput, merge_deltas

from .convert import agent_message, data_part, message_from_a2a, part_to_a2a
from .owner import principal_of
from .refusal import REFUSED, Refused

if TYPE_CHECKING:
    from agenthost.host import Host
    from agenthost.runs import Run

log = logging.getLogger("agenthost.a2a")

STREAMING_METHODS = frozenset({"SendStreamingMessage", "message/stream"})


@dataclass
class _Live:
    run: Run
    relayed: asyncio.Event = field(default_factory=asyncio.Event)
    superseded: bool = False  # cancelled for a newer message: the task goes on


def wants_deltas(context: RequestContext) -> bool:
    """Stream text as artifact chunks unless a client blocks for the final task only."""
    call = context.call_context
    if call.state.get("method") in STREAMING_METHODS:
        return True
    if str(call.state.get("path", "")).endswith("message:stream"):
        return True
    config = context.configuration
    return bool(config is not None and config.return_immediately)


class _Chunks:
    """A streamed message's text as chunks of its artifact (the message's id), one held back.

    Each delta is sent when the next one of its message arrives; the newest waits for the
    message to complete and goes out as the artifact's ``lastChunk``. So the last chunk has the
    last text, as clients that read it as the answer's final piece expect; it is empty only
    when the message had no text at all.
    """

    def __init__(self, updater: TaskUpdater) -> None:
        self.updater = updater
        self.held: dict[str, str] = {}  # message id -> its newest delta, not sent yet
        self.sent: set[str] = set()  # message ids with a chunk sent

    def streamed(self, message_id: str) -> bool:
        return message_id in self.held or message_id in self.sent

    async def delta(self, message_id: str, text: str) -> None:
        if not text:
            return
        previous = self.held.get(message_id)
        self.held[message_id] = text
        if previous is not None:
            await self._send(message_id, previous, last=False)

    async def close(self, message_id: str, metadata: dict[str, Any] | None = None) -> None:
        """The message is complete: its held delta (or an empty text) is the last chunk."""
        text = self.held.pop(message_id, "")
        await self._send(message_id, text, last=True, metadata=metadata)

    async def close_all(self) -> None:
        """The run ended: messages still open end with their held delta."""
        for message_id in list(self.held):
            await self.close(message_id)

    async def _send(
        self, message_id: str, text: str, *, last: bool, metadata: dict[str, Any] | None = None
    ) -> None:
        await self.updater.add_artifact(
            [A2APart(text=text)],
            artifact_id=message_id,
            name="response",
            metadata=metadata,
            append=message_id in self.sent,
            last_chunk=last,
        )
        self.sent.add(message_id)


class RunExecutor(AgentExecutor):
    """Runs agent ``agent`` of ``host`` for A2A tasks."""

    def __init__(self, host: Host, agent: str, *, merge_deltas: bool = True):
        self.host = host
        self.agent = agent
        self.merge_deltas = merge_deltas
        self._live: dict[str, _Live] = {}
        self._queued: dict[str, set[str]] = {}  # task id -> ids of messages awaiting a turn

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task_id, context_id = context.task_id or "", context.context_id or ""
        if context.message is not None:
            self.unqueue(task_id, context.message.message_id)
        updater = TaskUpdater(event_queue, task_id, context_id)
        submitted = False

        async def submit() -> None:
            nonlocal submitted
            if context.current_task is None and not submitted:
                submitted = True
                await self._new_task(context, event_queue, TaskState.TASK_STATE_SUBMITTED)

        try:
            run = await self._start(context, task_id, context_id, waiting=submit)
        except (QuotaExceeded, StoreUnavailable) as exc:
            refused = Refused.from_start_error(exc)
            await self._refuse(context, event_queue, updater, refused, submitted=submitted)
            return
        await submit()
        live = _Live(run)
        self._live[task_id] = live
        try:
            await updater.start_work()
            await self._relay(live, updater, deltas=wants_deltas(context))
        finally:
            live.relayed.set()
            self._live.pop(task_id, None)
            if not run.done:
                # The producer was cancelled (CancelTask, shutdown): the run must stop too.
                await asyncio.shield(self.host.runs.stop(run, "A2A task cancelled"))

    async def _new_task(
        self, context: RequestContext, event_queue: EventQueue, state: Any, text: str = ""
    ) -> None:
        status = TaskStatus(state=state)
        status.timestamp.FromDatetime(datetime.now(UTC))
        task_id, context_id = context.task_id or "", context.context_id or ""
        if text:
            status.message.CopyFrom(
                agent_message([A2APart(text=text)], task_id=task_id, context_id=context_id)
            )
        history = [context.message] if context.message is not None else []
        await event_queue.enqueue_event(
            Task(id=task_id, context_id=context_id, status=status, history=history)
        )

    async def _refuse(
        self,
        context: RequestContext,
        event_queue: EventQueue,
        updater: TaskUpdater,
        refused: Refused,
        *,
        submitted: bool,
    ) -> None:
        """End the request without a run. Recorded before any event, so the frontend sees
        the refusal with the first one."""
        new = context.current_task is None
        refused.rejected_task = context.task_id if new else None
        context.call_context.state[REFUSED] = refused
        if new and not submitted:
            await self._new_task(context, event_queue, TaskState.TASK_STATE_REJECTED, str(refused))
            return
        message = self._message(updater, [A2APart(text=str(refused))])
        state = TaskState.TASK_STATE_REJECTED if new else TaskState.TASK_STATE_INPUT_REQUIRED
        await updater.update_status(state, message=message)

    async def _start(
        self,
        context: RequestContext,
        task_id: str,
        context_id: str,
        *,
        waiting: Callable[[], Awaitable[None]],
    ) -> Run:
        a2a: dict[str, Any] = {"task_id": task_id, "context_id": context_id}
        messages = []
        if context.message is not None:
            messages.append(message_from_a2a(context.message))
            if context.message.reference_task_ids:
                a2a["reference_task_ids"] = list(context.message.reference_task_ids)
            if context.message.HasField("metadata"):
                a2a["message_metadata"] = MessageToDict(context.message.metadata)
        principal = principal_of(context.call_context)
        run_input = RunInput(
            agent=self.agent,
            messages=messages,
            session_id=context_id,
            principal=principal,
            metadata={"a2a": a2a},
        )
        while True:
            try:
                return await self.host.runs.start(
                    run_input, detached=True, metadata={"a2a_task_id": task_id}
                )
            except SessionBusy as busy:
                # A2A allows several tasks in one context; the host runs one turn of a
                # session at a time, so this task waits (submitted) for the one before it.
                previous = self.host.runs.get(busy.run_id, principal)
                if previous is None:
                    raise
                await waiting()
                await previous.wait()

    async def _relay(self, live: _Live, updater: TaskUpdater, *, deltas: bool) -> None:
        chunks = _Chunks(updater)
        prompt: Any = None
        async with self.host.runs.follow(live.run) as sub:
            async for batch in sub:
                for event in merge_deltas(batch) if self.merge_deltas else batch:
                    kind = event.type
                    if kind == "message.delta" and deltas:
                        await chunks.delta(event.message_id, event.text)
                    elif kind == "message.completed" and event.message.role == "assistant":
                        await self._completed_message(updater, event.message, chunks)
                    elif kind == "artifact":
                        await updater.add_artifact(
                            [part_to_a2a(event.part)],
                            name=getattr(event.part, "name", None) or "artifact",
                            last_chunk=True,
                        )
                    elif kind in ("tool.call", "tool.result"):
                        record = event.model_dump(mode="json", exclude={"run_id", "seq"})
                        message = self._message(updater, [data_part(record)])
                        await updater.start_work(message)
                    elif kind == "run.input_required":
                        prompt = event
                    elif kind == "run.completed":
                        await chunks.close_all()  # messages the run never completed
                        usage = event.usage.model_dump() if event.usage else None
                        if self._queued.get(updater.task_id):
                            # A message arrived during this turn: it is the next turn's
                            # input, so the task neither finishes nor waits for input.
                            continue
                        if prompt is not None:
                            await updater.update_status(
                                TaskState.TASK_STATE_INPUT_REQUIRED,
                                message=self._prompt_message(updater, prompt),
                                metadata={"usage": usage} if usage else None,
                            )
                        else:
                            await updater.update_status(
                                TaskState.TASK_STATE_COMPLETED,
                                metadata={"usage": usage} if usage else None,
                            )
                    elif kind == "run.failed":
                        await chunks.close_all()
                        text = f"{event.code}: {event.message}"
                        await updater.failed(self._message(updater, [A2APart(text=text)]))
                    elif kind == "run.cancelled":
                        await chunks.close_all()
                        if not live.superseded:
                            await updater.cancel()

    async def _completed_message(self, updater: TaskUpdater, message: Any, chunks: _Chunks) -> None:
        # Who said it, in a multi-agent run (a team member): on the artifact's metadata.
        metadata = {"name": message.name} if message.name else None
        if chunks.streamed(message.id):
            # Everything but the held-back delta went out as chunks: it is the last one.
            await chunks.close(message.id, metadata)
            return
        parts = [part_to_a2a(p) for p in message.parts] or [A2APart(text="")]
        await updater.add_artifact(
            parts, artifact_id=message.id, name="response", metadata=metadata, last_chunk=True
        )

    @staticmethod
    def _message(updater: TaskUpdater, parts: list[A2APart]) -> Any:
        return agent_message(parts, task_id=updater.task_id, context_id=updater.context_id)

    def _prompt_message(self, updater: TaskUpdater, event: Any) -> Any:
        parts = [A2APart(text=event.prompt or "input required")]
        if event.payload is not None:
            parts.append(data_part(event.payload))
        return self._message(updater, parts)

    def running(self, task_id: str) -> bool:
        """True while a turn of the task is running here."""
        return task_id in self._live

    def waiting(self, task_id: str) -> int:
        """How many messages on the task wait for its running turn to end."""
        return len(self._queued.get(task_id, ()))

    def queue(self, task_id: str, message_id: str) -> None:
        """A message arrived while a turn of the task runs: it will be the next turn."""
        self._queued.setdefault(task_id, set()).add(message_id)

    def unqueue(self, task_id: str, message_id: str) -> None:
        waiting = self._queued.get(task_id)
        if waiting is not None:
            waiting.discard(message_id)
            if not waiting:
                del self._queued[task_id]

    async def supersede(self, task_id: str) -> None:
        """Stop the task's running turn for a newer message; the task stays ``working``.

        The turn ends without a terminal status, so the SDK takes the next request of the task
        (the newer message) at once.
        """
        live = self._live.get(task_id)
        if live is None:
            return
        live.superseded = True
        await self.host.runs.stop(live.run, "superseded by a newer message")
        grace = self.host.runs.policy.cancel_grace_seconds
        try:
            await asyncio.wait_for(live.relayed.wait(), grace)
        except TimeoutError:
            log.warning("task %s: relay did not finish after supersede", task_id)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Cancel the task's run for real; its relay then reports ``canceled``."""
        live = self._live.get(context.task_id or "")
        if live is None:
            return  # queued, parked in input-required, or done: the SDK closes it out
        await self.host.runs.stop(live.run, "cancelled by A2A CancelTask")
        # Let the relay enqueue the terminal status before the SDK tears the producer down.
        grace = self.host.runs.policy.cancel_grace_seconds
        try:
            await asyncio.wait_for(live.relayed.wait(), grace)
        except TimeoutError:
            log.warning("task %s: relay did not finish after cancel", context.task_id)
