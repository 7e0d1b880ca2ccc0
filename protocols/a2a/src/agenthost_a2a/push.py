"""Which push-notification URLs the host will call (no SSRF by default).

No allow-list: any ``http(s)`` URL whose host resolves only to public addresses (the SDK's
own screening: loopback, private, link-local, shared, reserved and multicast are refused).
An allow-list: only the hosts it names, by host name (``hooks.example.com``, ``*.example.com``),
address or network (``10.1.2.0/24``); a listed private or loopback target is then allowed,
because the operator said so.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import urllib.parse

from a2a.utils.push_url_validator import validate_push_notification_url

log = logging.getLogger("agenthost.a2a")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class PushUrlPolicy:
    """An async predicate on push URLs, used when a config is set and before each delivery."""

    def __init__(self, allowed_hosts: list[str] | None = None):
        self.allowed_hosts = allowed_hosts
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
        if self.allowed_hosts is None:
            return await validate_push_notification_url(url)
        try:
            parsed = urllib.parse.urlparse(url)
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
        except ValueError:
            return False
        host = (parsed.hostname or "").lower()
        if parsed.scheme not in ("http", "https") or not host:
            return False
        if host in self._names or any(host.endswith(s) for s in self._suffixes):
            return True
        if not self._networks:
            log.warning("push URL refused: %s is not in push_allowed_hosts", host)
            return False
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            return False
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
        allowed = bool(addresses) and all(
            any(addr in net for net in self._networks) for addr in addresses
        )
        if not allowed:
            log.warning("push URL refused: %s is not in push_allowed_hosts", host)
        return allowed
