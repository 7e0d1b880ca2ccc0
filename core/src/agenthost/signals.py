"""Lifecycle signals: what the host does, for observers (traces, metrics, logs).

The run registry, the sandbox layer and the gate call ``signals`` at each step; an observer
(the ``agenthost-otel`` plugin, say) subscribes and hears them::

    from agenthost.signals import Observer, signals

    class Counter(Observer):
        def run_event(self, run, event):
            if event.type == "run.started":
                ...

    unsubscribe = signals.subscribe(Counter())   # e.g. in a plugin's startup

With no observer each emission point costs one attribute check (``if signals.active:``).
Observers run inline, on the event loop, in the emitting task's context: keep them quick and
never block. An observer that raises is logged and the host goes on. Signals are
process-wide: an observer hears every host of the process.

The signals:

- ``run_event(run, event)``: every event as the run registry appends it to ``run`` (a
  ``runs.Run``): ``run.started`` (in the run's own task, so context set there is the run's),
  ``tool.call``, ``tool.result``, ``usage``, ``message.delta``, ... and the terminal event,
  appended once ``run.record`` holds the final status, usage and error.
- ``request(request, frontend, principal)``: the gate admitted an HTTP request for a
  frontend (in the request's own context, before the handler runs).
- ``sandbox_spawned(profile, seconds)``: an executor started (warm pool or on demand).
- ``sandbox_acquired(sandbox, seconds)``: a sandbox was handed out (``seconds`` to get it).
- ``sandbox_call(sandbox, op, start_ns, end_ns, reply, error)``: a call ended (``reply``
  the executor's ``protocol.Reply``, None when ``error`` says why not); wall-clock ns. An
  ``error`` of ``SandboxTimeout``, ``ExecutorCrashed`` or ``CancelledError`` means the
  executor was killed (the sandbox restarts empty on its next call).
- ``sandbox_released(sandbox, reason)``: the sandbox was closed.
- ``quota_rejected(limit, principal)``: a request or run was refused with 429: ``limit`` is the
  quota's name (``max_concurrent_runs``, ``host.max_active_runs``, ``requests_per_minute``,
  ...), ``principal`` the refused principal's id.
- ``store_call(op, seconds)``: the run registry's store write ended (``save_run`` when a run
  is registered, ``persist_run`` when an ended run is stored), failed or not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("agenthost.signals")


class Observer:
    """Subclass and override the signals you want; every one defaults to doing nothing."""

    def run_event(self, run: Any, event: Any) -> None: ...

    def request(self, request: Any, frontend: str, principal: Any) -> None: ...

    def sandbox_spawned(self, profile: str, seconds: float) -> None: ...

    def sandbox_acquired(self, sandbox: Any, seconds: float) -> None: ...

    def sandbox_call(
        self, sandbox: Any, op: str, start_ns: int, end_ns: int, reply: Any, error: Any
    ) -> None: ...

    def sandbox_released(self, sandbox: Any, reason: str) -> None: ...

    def quota_rejected(self, limit: str, principal: str) -> None: ...

    def store_call(self, op: str, seconds: float) -> None: ...


def _dispatch(name: str) -> Callable[..., None]:
    def emit(self: Signals, *args: Any) -> None:
        for observer in self._observers:
            try:
                getattr(observer, name)(*args)
            except Exception:
                log.exception("observer %r failed on signal %s", observer, name)

    emit.__name__ = name
    return emit


class Signals:
    """The process's signal fan-out. ``active`` is True while any observer is subscribed."""

    def __init__(self) -> None:
        self._observers: tuple[Observer, ...] = ()
        self.active = False

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Start delivering signals to ``observer``; returns the call that stops it."""
        self._observers = (*self._observers, observer)
        self.active = True

        def unsubscribe() -> None:
            self._observers = tuple(o for o in self._observers if o is not observer)
            self.active = bool(self._observers)

        return unsubscribe

    run_event = _dispatch("run_event")
    request = _dispatch("request")
    sandbox_spawned = _dispatch("sandbox_spawned")
    sandbox_acquired = _dispatch("sandbox_acquired")
    sandbox_call = _dispatch("sandbox_call")
    sandbox_released = _dispatch("sandbox_released")
    quota_rejected = _dispatch("quota_rejected")
    store_call = _dispatch("store_call")


signals = Signals()

__all__ = ["Observer", "Signals", "signals"]
