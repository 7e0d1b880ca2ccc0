"""Which push-notification URLs the host will call (no SSRF by default), and delivery to them.

No allow-list: any ``http(s)`` URL whose host resolves only to public addresses (loopback,
private, link-local, shared, reserved and multicast are refused, as a2a-sdk's screening does).
An allow-list: only the hosts it names, by host name (``hooks.example.com``, ``*.example.com``),
address or network (``10.1.2.0/24``); a listed private or loopback target is then allowed,
because the operator said so.

Delivery resolves the host once, screens the addresses and connects to one of those very
addresses (the original ``Host`` header and TLS server name kept), so a DNS answer that
changes between the check and the connection (rebinding) cannot send it elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from a2a.server.tasks import PushNotificationConfigStore, PushNotificationSender
from a2a.server.tasks.push_notification_sender import PushNotificationEvent
from a2a.types import TaskPushNotificationConfig
from a2a.utils.proto_utils import to_stream_response
from google.protobuf.json_format import MessageToDict

log = logging.getLogger("agenthost.a2a")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (the event loop's resolver)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(addr: Address) -> bool:
    mapped = getattr(addr, "ipv4_mapped", None)
    if mapped is not None:
        addr = mapped  # judged as the IPv4 address it carries
    return addr.is_global and not (
        addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
    )


@dataclass(frozen=True)
class PushTarget:
    """Where one delivery connects: ``url`` names the screened address in place of the host."""

    url: str
    host_header: str
    server_name: str | None  # the TLS server name (SNI, certificate check) for https


class PushUrlPolicy:
    """Screens push URLs: ``await policy(url)`` when a config is set; ``await
    policy.target(url)`` before each delivery (resolved, screened and pinned)."""

    def __init__(self, allowed_hosts: list[str] | None = None, resolver: Resolver = resolve):
        self.allowed_hosts = allowed_hosts
        self.resolver = resolver
        self._names: set[str] = set()
        self._suffixes: list[str] = []
        self._networks: list[Network] = []
        for entry in allowed_hosts or []:
            entry = entry.strip().lower()
            try:
                self._networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if entry.startswith("*."):
                    self._suffixes.append(entry[1:])
                else:
                    self._names.add(entry)

    async def __call__(self, url: str) -> bool:
        # A host listed by name is allowed without resolving it (it may resolve only where
        # deliveries go from); everything else must resolve to allowed addresses.
        return await self._screen(url, pin=False) is not None

    async def target(self, url: str) -> PushTarget | None:
        """The address a delivery to ``url`` connects to; None when the URL is refused."""
        return await self._screen(url, pin=True)

    async def _screen(self, url: str, *, pin: bool) -> PushTarget | None:
        try:
            parsed = urllib.parse.urlsplit(url)
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
        except ValueError:
            return None
        host = (parsed.hostname or "").lower()
        if parsed.scheme not in ("http", "https") or not host:
            return None
        named = host in self._names or any(host.endswith(s) for s in self._suffixes)
        if named and not pin:
            return PushTarget(url, parsed.netloc, None)
        if self.allowed_hosts is not None and not named and not self._networks:
            log.warning("push URL refused: %s is not in push_allowed_hosts", host)
            return None
        try:
            literal: Address | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        try:
            found = [str(literal)] if literal else await self.resolver(host, port)
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
        except (OSError, ValueError):
            log.warning("push URL refused: %s does not resolve", host)
            return None
        if not addresses:
            return None
        if not named and not all(self._allows(addr) for addr in addresses):
            log.warning("push URL refused: %s resolves to an address not allowed", host)
            return None
        address = addresses[0]
        netloc = f"[{address}]" if address.version == 6 else str(address)
        pinned = parsed._replace(netloc=f"{netloc}:{port}")
        server_name = host if parsed.scheme == "https" and literal is None else None
        return PushTarget(urllib.parse.urlunsplit(pinned), parsed.netloc, server_name)

    def _allows(self, addr: Address) -> bool:
        if self.allowed_hosts is None:
            return is_public(addr)
        return any(addr in net for net in self._networks)


class PinnedPushSender(PushNotificationSender):
    """Delivers each task event to the task's webhooks, connecting only to screened addresses.

    ``client`` must not follow redirects nor read proxies from the environment
    (``trust_env=False``): either would connect somewhere the screening never saw.
    """

    def __init__(
        self, client: httpx.AsyncClient, configs: PushNotificationConfigStore, policy: PushUrlPolicy
    ):
        self._client = client
        self._configs = configs
        self._policy = policy

    async def send_notification(self, task_id: str, event: PushNotificationEvent) -> None:
        try:
            configs = await self._configs.get_info_for_dispatch(task_id)
        except Exception:  # best effort, as a2a-sdk's sender: the task goes on
            log.exception("task %s: cannot read its push configs", task_id)
            return
        if configs:
            payload = MessageToDict(to_stream_response(event))
            await asyncio.gather(*(self._deliver(task_id, c, payload) for c in configs))

    async def _deliver(
        self, task_id: str, config: TaskPushNotificationConfig, payload: dict[str, object]
    ) -> None:
        target = await self._policy.target(config.url)
        if target is None:
            return
        headers = {"Host": target.host_header}
        if config.token:
            headers["X-A2A-Notification-Token"] = config.token
        auth = config.authentication
        if config.HasField("authentication") and auth.scheme and auth.credentials:
            headers["Authorization"] = f"{auth.scheme} {auth.credentials}"
        extensions = {"sni_hostname": target.server_name} if target.server_name else None
        try:
            response = await self._client.post(
                target.url, json=payload, headers=headers, extensions=extensions
            )
            response.raise_for_status()
        except Exception as exc:
            log.warning("task %s: push to %s failed: %s", task_id, config.url, exc)
