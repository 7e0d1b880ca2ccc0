"""Reading a starting pod: ready, still coming, or failed — and why, in words a user can act on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# Waiting reasons that do not clear up by themselves: fail the start at once.
FATAL = {
    "ImagePullBackOff": "the cluster cannot pull the sandbox image",
    "InvalidImageName": "the sandbox image name is invalid",
    "ErrImageNeverPull": "the image is not on the node and image_pull_policy is Never",
    "CreateContainerConfigError": "the container's configuration is refused",
    "CreateContainerError": "the runtime cannot create the container",
    "RunContainerError": "the runtime cannot start the container",
    "CrashLoopBackOff": "the container keeps exiting",
}
HINTS = {
    "ImagePullBackOff": "push the image to a registry the nodes can reach and name it in "
    "`image` (see docs/kubernetes.md, the image)",
    "ErrImagePull": "push the image to a registry the nodes can reach and name it in `image`",
    "Unschedulable": "no node fits: lower memory/cpus, or check node_selector, tolerations "
    "and runtime_class",
}


@dataclass
class PodState:
    phase: Literal["ready", "waiting", "failed"]
    detail: str = ""  # why it waits (the latest cause seen) or why it failed


def _explain(reason: str, message: str, what: str = "") -> str:
    text = f"{reason}: {what}" if what else reason
    if message:
        text += f" ({message})"
    hint = HINTS.get(reason)
    return f"{text}; {hint}" if hint else text


def pod_state(pod: dict[str, Any]) -> PodState:
    """What a pod (a camelCase dict as the API returns it) says about its start."""
    status = pod.get("status") or {}
    phase = status.get("phase") or "Pending"
    if phase in ("Failed", "Succeeded"):
        why = status.get("reason") or "its container exited"
        ended = _explain(f"the pod ended ({phase})", status.get("message", ""), why)
        return PodState("failed", ended)
    waiting = ""
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if state.get("terminated"):
            t = state["terminated"]
            detail = f"exit code {t.get('exitCode')}, {t.get('reason') or 'terminated'}"
            stopped = _explain("the container stopped", t.get("message", ""), detail)
            return PodState("failed", stopped)
        if state.get("waiting"):
            w = state["waiting"]
            reason = w.get("reason") or "Waiting"
            if reason in FATAL:
                return PodState("failed", _explain(reason, w.get("message", ""), FATAL[reason]))
            waiting = _explain(reason, w.get("message", ""))
        elif state.get("running") and phase == "Running":
            return PodState("ready")
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            reason = cond.get("reason") or "Unschedulable"
            return PodState("waiting", _explain(reason, cond.get("message", "")))
    return PodState("waiting", waiting or f"the pod is {phase}")


def quota_or_forbidden(status: int, body: str) -> str | None:
    """A user-facing cause for a refused pod create (403/422), None for other errors."""
    if status == 403 and "exceeded quota" in body:
        return f"the namespace's ResourceQuota is exhausted ({_message(body)})"
    if status == 403:
        return (
            f"the API server refused ({_message(body)}); the host's service account needs "
            "the Role `agenthost deploy kubernetes` writes"
        )
    if status == 422:
        return f"the API server rejected the pod ({_message(body)})"
    return None


def _message(body: str) -> str:
    import json

    try:
        return str(json.loads(body).get("message") or body)
    except (ValueError, AttributeError):
        return body.strip()[:300]
