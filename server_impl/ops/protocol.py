"""Each HTTP/1.1 connection: uvicorn's httptools protocol, with the limits uvicorn lacks.

uvicorn's httptools parser enforces no limit on a request head: header lines streamed without end
grow the process without bound (httptools joins a header value piece by piece), a request with
10⁶ headers is parsed in full before the app sees it, and a socket that sends nothing, or one
byte at a time, is held for as long as its client likes. Each connection here:

- answers ``431`` and closes once its request head passes ``max_head_bytes``, having read no
  further, or has more than ``max_header_fields`` fields;
- is closed when a request head is not complete within ``head_timeout_s`` of the connection
  opening or of its previous response (idle keep-alive connections close sooner: uvicorn's
  ``timeout_keep_alive``), or a request body within ``body_timeout_s`` of its head;
- past ``max_connections`` open connections in this process, closes the connection that has been
  idle longest (no request in progress) to make room, and when none is idle, answers ``503`` with
  ``Retry-After`` and closes, rather than leaving new clients to a refused socket.

This adapts uvicorn's private protocol class: ``ADAPTED_FOR`` is the release it was written
against and ``RELIED_ON`` what it uses of it; tests/ops/test_protocol_fence.py fails when either
no longer holds, and tests/ops/test_connection_limits.py pins each behaviour on a real server.
"""

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

import httptools
from connexion.exceptions import ProblemException
from starlette.responses import Response
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from server_impl.api.problems import HeadTooLarge, Overloaded
from server_impl.observability import request_id

ADAPTED_FOR = "0.55.0"
"""The uvicorn release this module was written and tested against."""

_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"
_PROTOCOL = f"{_HTTPTOOLS}.HttpToolsProtocol"
RELIED_ON: list[tuple[str, str]] = [
    # (uvicorn object, attribute): methods, and instance attributes that __init__ assigns.
    (_HTTPTOOLS, "STATUS_LINE"),
    *(
        (_PROTOCOL, name)
        for name in (
            "connection_made",
            "data_received",
            "on_headers_complete",
            "on_response_complete",
            "_unset_keepalive_if_required",
            "send_400_response",
            "handle_websocket_upgrade",
            "_should_upgrade",
            "_unsupported_upgrade_warning",
            "self.app",
            "self.connections",
            "self.cycle",
            "self.headers",
            "self.logger",
            "self.loop",
            "self.parser",
            "self.transport",
        )
    ),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.response_complete"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.more_body"),
]
"""What this module uses or overrides of uvicorn's httptools protocol."""


@dataclass(frozen=True)
class Limits:
    max_head_bytes: int
    max_header_fields: int
    head_timeout_s: float
    body_timeout_s: float
    max_connections: int


class _Refused(Exception):
    """Raised in a parser callback to refuse the request with a problem, then close."""

    def __init__(self, problem: ProblemException) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def _response(problem: ProblemException) -> Response:
    """A problem as a response that closes its connection (also an ASGI app).

    Given before the app and its RequestId middleware run, it gets its request id here: a new
    one, since the head that could carry the client's was refused or not read.
    """
    answer = problem.to_problem()
    chosen = request_id.new()
    body = {**json.loads(str(answer.body)), "request_id": chosen}
    headers = {**answer.headers, "Connection": "close", request_id.HEADER: chosen}
    return Response(json.dumps(body), status_code=answer.status_code, headers=headers)


def _raw(response: Response) -> bytes:
    """The bytes of a whole HTTP/1.1 response, for answers given before any app runs."""
    head = b"".join(name + b": " + value + b"\r\n" for name, value in response.raw_headers)
    return STATUS_LINE[response.status_code] + head + b"\r\n" + response.body


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with ``limits`` on heads, slow clients and connections."""

    limits: Limits
    # One sweep per process closes connections late with their head, rather than a timer set
    # and cancelled on every request: it costs per connection and second, not per request.
    _sweep: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._waiting_since = time.monotonic()

    @classmethod
    def with_limits(cls, limits: Limits) -> type["LimitedHttpToolsProtocol"]:
        """This protocol class bound to ``limits`` (uvicorn builds protocols from a class)."""
        return type(cls.__name__, (cls,), {"limits": limits})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if self._open_connections() >= self.limits.max_connections:
            self._close_longest_idle()
        super().connection_made(transport)
        if type(self)._sweep is None:
            self._schedule_sweep()

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, but feeding the parser no more of a head than the limit allows.
        self._unset_keepalive_if_required()
        try:
            cycle = self.cycle
            if cycle is None or not cycle.more_body:  # the bytes belong to a request head
                room = self.limits.max_head_bytes - self._head_bytes
                if len(data) > room:
                    self.parser.feed_data(data[:room])
                    if self.cycle is None or not self.cycle.more_body:
                        raise _Refused(self._head_too_large())
                    data = data[room:]
                else:
                    self._head_bytes += len(data)
            self.parser.feed_data(data)
        except _Refused as refusal:
            self._refuse(refusal)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, _Refused):
                self._refuse(error.__context__)
                return
            message = "Invalid HTTP request received."
            self.logger.warning(message)
            self.send_400_response(message)

    def on_headers_complete(self) -> None:
        self._head_bytes = 0
        self._waiting_since = time.monotonic()  # now for the body, if there is one
        # Counted here rather than per field: the size limit already bounds how many there are.
        limits = self.limits
        if len(self.headers) > limits.max_header_fields:
            fields = limits.max_header_fields
            raise _Refused(HeadTooLarge(f"The request has more than {fields} header fields."))
        if (
            len(self.connections) > limits.max_connections
            and self._open_connections() > limits.max_connections
        ):
            # This connection answers 503 and closes (the answer says so), so its app is done.
            self.app = _response(Overloaded())
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._waiting_since = time.monotonic()

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _head_too_large(self) -> HeadTooLarge:
        limit = self.limits.max_head_bytes
        return HeadTooLarge(f"The request line and headers are longer than {limit} bytes.")

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
            if not isinstance(connection, LimitedHttpToolsProtocol):
                continue
            cycle = connection.cycle
            if cycle is None or cycle.response_complete:
                late = connection._waiting_since < head_deadline
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
            if isinstance(connection, LimitedHttpToolsProtocol)
            and not connection._busy()
            and not connection.transport.is_closing()
        ]
        if idle:
            min(idle, key=lambda connection: connection._waiting_since).transport.close()

    def _refuse(self, refusal: _Refused) -> None:
        self.logger.warning("Refused a request: %s", refusal)
        if not self.transport.is_closing():
            self.transport.write(_raw(_response(refusal.problem)))
            self.transport.close()
