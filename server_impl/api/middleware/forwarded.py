"""The client of a request that came through trusted proxies: the address X-Forwarded-For names.

This replaces uvicorn's ProxyHeadersMiddleware, which takes whatever text an entry holds as
the client's address (and a setting it cannot parse as a name to match), so an entry such as
``203.0.113.9 key=x org=y`` or 60,000 characters long reached the access line. Here only an IP
address becomes the client; otherwise the peer stays the client.
"""

from collections.abc import Sequence
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address

from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.settings import EVERY_ADDRESS, ProxyNetwork

Address = IPv4Address | IPv6Address
LONGEST_ENTRY = 64
"""Longer than any address with its port (``[IPv6]:port`` is at most 53 characters)."""
_SCHEMES = {"http", "https"}


def address_of(entry: str) -> Address | None:
    """The IP address of one X-Forwarded-For entry (``a.b.c.d``, ``a.b.c.d:port``, an IPv6
    address, ``[IPv6]:port``), without a port or zone; None for anything else."""
    text = entry.strip(" \t")
    if len(text) > LONGEST_ENTRY:
        return None
    port = ""
    if text.startswith("["):
        text, _, after = text[1:].partition("]")
        if after and not after.startswith(":"):
            return None
        port = after[1:]
    elif text.count(":") == 1:
        text, port = text.split(":")
    if port and not (port.isascii() and port.isdigit()):
        return None
    try:
        address = ip_address(text)
    except ValueError:
        return None
    # A zone (fe80::1%eth0) is free text after the %.
    if isinstance(address, IPv6Address) and address.scope_id is not None:
        return None
    return address


class ForwardedClient:
    """From a trusted proxy, the client is the nearest X-Forwarded-For entry that is not itself
    a trusted proxy (each proxy appends the address it was reached from), or the farthest when
    all are; every entry passed must be an IP address, else the peer stays the client. With
    every address trusted, the farthest entry is the client. X-Forwarded-Proto (http or https)
    from a trusted proxy sets the scheme, as uvicorn's middleware did."""

    def __init__(self, app: ASGIApp, *, proxies: Sequence[ProxyNetwork]) -> None:
        self.app = app
        self.proxies = tuple(proxies)
        self.trust_every_address = set(EVERY_ADDRESS) <= set(self.proxies)
        # A server has few peers (its proxies), each asked on every request.
        self._trusted_peer = lru_cache(maxsize=1024)(self._peer_is_trusted)

    def _trusts(self, address: Address) -> bool:
        return any(address in network for network in self.proxies)

    def _peer_is_trusted(self, host: str) -> bool:
        try:
            return self._trusts(ip_address(host))
        except ValueError:
            return False

    def client_named(self, forwarded_for: str) -> str | None:
        """The client that a trusted proxy's X-Forwarded-For names, None if it names none."""
        entries = forwarded_for.split(",")
        if self.trust_every_address:
            entries = entries[:1]
        address = None
        for entry in reversed(entries):
            address = address_of(entry)
            if address is None:
                return None
            if not self._trusts(address):
                break
        return str(address) if address is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] == "http" and peer and self._trusted_peer(peer[0]):
            forwarded_for: list[bytes] = []
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for.append(value)
                elif name == b"x-forwarded-proto":
                    scheme = value.decode("latin-1").strip()
                    if scheme in _SCHEMES:
                        scope["scheme"] = scheme
            if forwarded_for:
                client = self.client_named(b",".join(forwarded_for).decode("latin-1"))
                if client is not None:
                    scope["client"] = (client, 0)
        await self.app(scope, receive, send)
