"""Connections over time: at most ``max_connections`` in this process, none waiting longer for
a request head or body than its timeout allows, and none left waiting for a body at shutdown.

- A connection is closed when a request head is not complete within ``head_timeout_s`` of the
  connection opening or of the first bytes of its next request, or a request body within
  ``body_timeout_s`` of its head. A keep-alive connection idle between requests is closed by
  uvicorn's ``timeout_keep_alive`` alone, which may be longer than the head timeout: a pool that
  keeps connections for a few seconds (a client's) or a minute (a proxy's) must not see the
  server close one just as it sends a request on it.
- Past ``max_connections`` open connections in this process, the connection that has been idle
  longest (no request in progress) is closed to make room; when none is idle, the request is
  answered ``503`` with ``Retry-After`` (parsing.py), rather than leaving new clients to a
  refused socket.
- On shutdown, a connection is closed shortly before the grace period ends if its request body
  is still incomplete then, so that the request fails as if its client had left (uvicorn would
  cancel it, log a traceback and answer ``500``).
"""

import asyncio
import time
from dataclasses import dataclass
from typing import Any, Self

from .refusals import RefusingHttpToolsProtocol

_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"
_PROTOCOL = f"{_HTTPTOOLS}.HttpToolsProtocol"
UPSTREAM: dict[str, tuple[str, str]] = {
    # Every method overridden here: (release checked against, testbed.upstream fingerprint).
    f"{_PROTOCOL}.__init__": ("0.55.0", "264f2f067596"),
    f"{_PROTOCOL}.connection_made": ("0.55.0", "ba1915817ccf"),
    f"{_PROTOCOL}.on_response_complete": ("0.55.0", "5684fd801d06"),
    f"{_PROTOCOL}.shutdown": ("0.55.0", "4822ef10fa98"),
}
RELIED_ON: list[tuple[str, str]] = [
    # (uvicorn object, attribute): methods, and instance attributes that __init__ assigns.
    *(
        (_PROTOCOL, name)
        for name in (
            "connection_made",
            "on_response_complete",
            "shutdown",
            "self.config",
            "self.connections",
            "self.cycle",
            "self.loop",
            "self.transport",
        )
    ),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.more_body"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.response_complete"),
    ("uvicorn.config.Config", "self.timeout_graceful_shutdown"),
]
"""What this module uses or overrides of uvicorn's httptools protocol."""


@dataclass(frozen=True)
class Limits:
    """What each connection is held to, from serve's settings (serving.py)."""

    max_head_bytes: int
    max_header_fields: int
    head_timeout_s: float
    body_timeout_s: float
    max_connections: int


_BEFORE_CANCEL_S = 0.5
"""How long before the grace period ends a request still waiting for its body is closed: uvicorn
checks every 0.1 s whether its requests are done, and cancels those that are not at the end."""


class ConnectionLimitedHttpToolsProtocol(RefusingHttpToolsProtocol):
    """uvicorn's httptools protocol with ``limits`` on connections and on slow clients."""

    limits: Limits
    # One sweep per process closes connections late with their head, rather than a timer set
    # and cancelled on every request: it costs per connection and second, not per request.
    _sweep: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Since when the connection has waited for a request head (or, once one is read, for
        # its body).
        self._waiting_since = time.monotonic()
        # Between a response and the first bytes of the next request: kept alive, not waiting.
        self._idle = False

    @classmethod
    def with_limits(cls, limits: Limits) -> type[Self]:
        """This protocol class bound to ``limits`` (uvicorn builds protocols from a class)."""
        return type(cls.__name__, (cls,), {"limits": limits})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if self._open_connections() >= self.limits.max_connections:
            self._close_longest_idle()
        super().connection_made(transport)
        if type(self)._sweep is None:
            self._schedule_sweep()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._waiting_since = time.monotonic()
        self._idle = True

    def _next_request_begins(self) -> None:
        """The first bytes after a response: the head timeout counts from now."""
        self._idle = False
        self._waiting_since = time.monotonic()

    def shutdown(self) -> None:
        super().shutdown()
        grace = self.config.timeout_graceful_shutdown
        if grace is not None and self._body_incomplete():
            self.loop.call_later(max(0.0, grace - _BEFORE_CANCEL_S), self._close_if_body_incomplete)

    def _body_incomplete(self) -> bool:
        return self._busy() and self.cycle.more_body

    def _close_if_body_incomplete(self) -> None:
        """Closes a connection whose request body is still incomplete as the grace period ends.

        Its app waits for a body that may never come; cancelled, it logs a traceback and answers
        500. Closed, it fails as if its client had left: it changes nothing and logs nothing.
        """
        if self._body_incomplete() and not self.transport.is_closing():
            self.transport.close()

    def _schedule_sweep(self) -> None:
        # A fraction of the timeout, so that a connection closes at most that much late.
        interval = min(1.0, self.limits.head_timeout_s / 4, self.limits.body_timeout_s / 4)
        type(self)._sweep = self.loop.call_later(interval, self._close_late_connections)

    def _close_late_connections(self) -> None:
        """Closes each connection that has waited too long for a request head or body.

        A request whose body is cut off this way fails as if its client had left: it changes
        nothing.
        """
        now = time.monotonic()
        head_deadline = now - self.limits.head_timeout_s
        body_deadline = now - self.limits.body_timeout_s
        for connection in list(self.connections):
            if not isinstance(connection, ConnectionLimitedHttpToolsProtocol):
                continue
            cycle = connection.cycle
            if cycle is None or cycle.response_complete:
                late = not connection._idle and connection._waiting_since < head_deadline
            else:
                late = cycle.more_body and connection._waiting_since < body_deadline
            if late and not connection.transport.is_closing():
                connection.transport.close()
        if self.connections:
            self._schedule_sweep()
        else:
            type(self)._sweep = None

    def _open_connections(self) -> int:
        """The connections not closing (one closed here leaves the set on the loop's next turn);
        counted only near the limit, where it matters."""
        if len(self.connections) < self.limits.max_connections:
            return len(self.connections)
        return sum(not connection.transport.is_closing() for connection in self.connections)

    def _close_longest_idle(self) -> None:
        idle = [
            connection
            for connection in self.connections
            if isinstance(connection, ConnectionLimitedHttpToolsProtocol)
            and not connection._busy()
            and not connection.transport.is_closing()
        ]
        if idle:
            min(idle, key=lambda connection: connection._waiting_since).transport.close()
