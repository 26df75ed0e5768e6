"""Each HTTP/1.1 connection: uvicorn's httptools protocol, with the limits uvicorn lacks.

uvicorn's httptools parser enforces no limit on a request head: header lines streamed without end
grow the process without bound (httptools joins a header value piece by piece), a request with
10⁶ headers is parsed in full before the app sees it, and a socket that sends nothing, or one
byte at a time, is held for as long as its client likes. Each connection here:

- answers ``431`` and closes once a request head passes ``max_head_bytes``, having read no
  further, or has more than ``max_header_fields`` fields; each request head of a pipeline counts
  apart, and a chunked body's trailer section falls under the same two limits;
- never adds a trailer field (after a chunked body) to the request's headers: trailers are
  ignored, so that one cannot supply the Authorization, X-Request-Id or X-Forwarded-For of a
  request whose head did not carry them;
- answers a request the parser refuses (RFC 9112 syntax) ``400`` with a problem, then closes;
- answers every request read before a refused one, in order, before the refusal;
- is closed when a request head is not complete within ``head_timeout_s`` of the connection
  opening or of its previous response (idle keep-alive connections close sooner: uvicorn's
  ``timeout_keep_alive``), or a request body within ``body_timeout_s`` of its head;
- past ``max_connections`` open connections in this process, closes the connection that has been
  idle longest (no request in progress) to make room, and when none is idle, answers ``503`` with
  ``Retry-After`` and closes, rather than leaving new clients to a refused socket;
- on shutdown, is closed shortly before the grace period ends if its request body is still
  incomplete then, so that the request fails as if its client had left (uvicorn would cancel
  it, log a traceback and answer ``500``).

Every refusal runs through the app, with its answer as the scope's ``REFUSED`` extension
(server_impl/api/middleware/observed.py), so that it is logged, counted and carries a request
id (the client's, when its head was read and carried a well-formed one); the app served must
therefore answer it: the one server_impl/api/app.py builds does, and so does the metrics
listener's (metrics_listener.py).

This adapts uvicorn's private protocol class: ``UPSTREAM`` fingerprints the source of each
method it overrides or copies, as the release named there had it, and ``RELIED_ON`` lists what
else it uses; tests/ops/test_protocol_fence.py fails when a release changes either, and
tests/ops/test_connection_limits.py pins each behaviour on a real server.
"""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httptools
from connexion.exceptions import ProblemException
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from server_impl.api.middleware.observed import REFUSED
from server_impl.api.problems import HeadTooLarge, MalformedRequest, Overloaded, response

_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"
_PROTOCOL = f"{_HTTPTOOLS}.HttpToolsProtocol"
UPSTREAM: dict[str, tuple[str, str]] = {
    # Every method overridden, data_received, on_header, on_body and on_message_complete with
    # uvicorn's own code copied in: (release checked against, testbed.upstream fingerprint).
    f"{_PROTOCOL}.__init__": ("0.55.0", "264f2f067596"),
    f"{_PROTOCOL}.connection_made": ("0.55.0", "ba1915817ccf"),
    f"{_PROTOCOL}.data_received": ("0.55.0", "02c2572f1df5"),
    f"{_PROTOCOL}.on_body": ("0.55.0", "415b4cef19fb"),
    f"{_PROTOCOL}.on_header": ("0.55.0", "5fecb4905c7f"),
    f"{_PROTOCOL}.on_headers_complete": ("0.55.0", "7e259152e5aa"),
    f"{_PROTOCOL}.on_message_complete": ("0.55.0", "377f9122ee6f"),
    f"{_PROTOCOL}.on_response_complete": ("0.55.0", "5684fd801d06"),
    f"{_PROTOCOL}.shutdown": ("0.55.0", "4822ef10fa98"),
}
RELIED_ON: list[tuple[str, str]] = [
    # (uvicorn object, attribute): methods, and instance attributes that __init__ assigns.
    ("uvicorn.protocols.http.flow_control", "HIGH_WATER_LIMIT"),
    (_HTTPTOOLS, "STATUS_LINE"),
    *(
        (_PROTOCOL, name)
        for name in (
            "connection_made",
            "data_received",
            "on_header",
            "on_headers_complete",
            "on_body",
            "on_message_complete",
            "on_response_complete",
            "_unset_keepalive_if_required",
            "shutdown",
            "handle_websocket_upgrade",
            "_should_upgrade",
            "_unsupported_upgrade_warning",
            "self.app",
            "self.config",
            "self.app_state",
            "self.asgi_version",
            "self.client",
            "self.connections",
            "self.cycle",
            "self.expect_100_continue",
            "self.flow",
            "self.headers",
            "self.logger",
            "self.loop",
            "self.parser",
            "self.pipeline",
            "self.root_path",
            "self.scheme",
            "self.scope",
            "self.server",
            "self.tasks",
            "self.transport",
        )
    ),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.body"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.message_event"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.more_body"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.response_complete"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.response_started"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.scope"),
    ("uvicorn.config.Config", "self.timeout_graceful_shutdown"),
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


def _answer_with(scope: Any, problem: ProblemException) -> None:
    """Has the app answer the request of scope with problem (observed.py), then close; it is
    rendered when the app runs it, with the request id RequestId has chosen."""
    scope["extensions"] = {REFUSED: response(problem, {"Connection": "close"})}


_HEAD_END = b"\r\n\r\n"
_NOT_READ = -1
_CONTENT_LENGTH = b"content-length"


_BEFORE_CANCEL_S = 0.5
"""How long before the grace period ends a request still waiting for its body is closed: uvicorn
checks every 0.1 s whether its requests are done, and cancels those that are not at the end."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with ``limits`` on heads, slow clients and connections."""

    limits: Limits
    # One sweep per process closes connections late with their head, rather than a timer set
    # and cancelled on every request: it costs per connection and second, not per request.
    _sweep: asyncio.TimerHandle | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting_since = time.monotonic()
        # Bytes of the request head being read, or, in a chunked body, of the chunk line or
        # trailer section being read.
        self._head_bytes = 0
        # Between a request's head and the end of its message: its body (and trailers) is read.
        self._in_body = False
        self._body_received = 0
        # Of the body being read: None when chunked, _NOT_READ until _feed needs it.
        self._content_length: int | None = _NOT_READ
        self._trailer_fields = 0
        self._trailer_bytes = 0
        # Once a request is refused, nothing more is read; its refusal waits here until every
        # request read before it is answered.
        self._refused = False
        self._refusal: ProblemException | None = None

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
        # uvicorn's own, but feeding the parser through _feed, which bounds each request head,
        # and answering a refused request as a problem after those read before it.
        self._unset_keepalive_if_required()
        if self._refused:
            return
        try:
            head_end = -1
            if (
                not self._in_body
                and not self._head_bytes
                and len(data) <= self.limits.max_head_bytes
            ):
                head_end = data.find(_HEAD_END)
            if head_end >= 0 and data.find(_HEAD_END, head_end + 4) < 0:
                # The common request: one whole head, then at most its body and the start of
                # the next head (which is what the body leaves), fed at once.
                self.parser.feed_data(data)
                if head_end + 4 < len(data) and not self._in_body:
                    self._head_bytes = len(data) - head_end - 4 - self._body_received
            else:
                self._feed(data)
        except _Refused as refusal:
            self._refuse(refusal.problem)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, _Refused):
                self._refuse(error.__context__.problem)
            elif isinstance(error.__context__, httptools.HttpParserInvalidURLError):
                # uvicorn's on_headers_complete parses the target: CONNECT's host:port fails.
                self._refuse(MalformedRequest("Invalid request target"))
            else:
                self._refuse(MalformedRequest(str(error)))

    def _feed(self, data: bytes) -> None:
        """Feeds data to the parser in pieces that each end at most at the end of one request
        head (or trailer section), so that each head is counted from its own first byte."""
        parser = self.parser
        limit = self.limits.max_head_bytes
        start, end = 0, len(data)
        while start < end:
            length = self._content_length
            if self._in_body and length == _NOT_READ:
                length = self._content_length = self._declared_length()
            if self._in_body and length is not None:
                # The rest of a body of known length: its bytes are no head's.
                stop = min(end, start + max(1, length - self._body_received))
            else:
                # A head, or a chunked body, whose chunk lines and trailers count as a head.
                room = limit - self._head_bytes
                if room <= 0:
                    raise _Refused(self._head_too_large())
                head_end = data.find(_HEAD_END, start, start + room)
                stop = min(end, start + room) if head_end < 0 else head_end + 4
                if (
                    stop < end <= start + room
                    and not self._in_body
                    and data.find(_HEAD_END, stop) < 0
                ):
                    # The common request with a body: one head, its body and at most the start
                    # of the next head, fed at once; that start is what the body leaves.
                    parser.feed_data(data[start:] if start else data)
                    if not self._in_body:
                        self._head_bytes = end - stop - self._body_received
                    return
                self._head_bytes += stop - start
            parser.feed_data(data[start:stop])  # the same object when it is all of data
            start = stop

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._in_body:
            self._on_trailer(name, value)
            return
        # uvicorn's own (UPSTREAM), copied to spare a call per header field.
        name = name.lower()
        value = value.rstrip(b" \t")
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def _on_trailer(self, name: bytes, value: bytes) -> None:
        """A trailer field: counted against the head's limits, and dropped (RFC 9110 §6.5.1:
        trailers are not merged into the header section; nothing here uses one)."""
        self._trailer_fields += 1
        self._trailer_bytes += len(name) + len(value) + 4  # ": " and CRLF
        limits = self.limits
        if self._trailer_fields > limits.max_header_fields:
            fields = limits.max_header_fields
            raise _Refused(HeadTooLarge(f"The request has more than {fields} trailer fields."))
        if self._trailer_bytes > limits.max_head_bytes:
            limit = limits.max_head_bytes
            raise _Refused(HeadTooLarge(f"The request's trailers are longer than {limit} bytes."))

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
            # This connection answers 503 and closes (the answer says so), through the app.
            self.logger.warning("Refused a request: %s", Overloaded().detail)
            _answer_with(self.scope, Overloaded())
        super().on_headers_complete()
        self._in_body = True
        self._body_received = 0
        self._content_length = _NOT_READ  # read when the body arrives: most requests have none

    def _declared_length(self) -> int | None:
        """The request's Content-Length (the parser refuses it with Transfer-Encoding), or None
        for a chunked body."""
        for name, value in self.headers:
            if name == _CONTENT_LENGTH:
                return int(value)
        return None

    def on_body(self, body: bytes) -> None:
        self._body_received += len(body)
        if self._content_length is None:
            self._head_bytes = 0  # a chunk's data: the next chunk line counts afresh
        # uvicorn's own (UPSTREAM), copied to spare a call per piece of a body.
        cycle = self.cycle
        if (self.parser.should_upgrade() and self._should_upgrade()) or cycle.response_complete:
            return
        cycle.body += body
        if len(cycle.body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()

    def on_chunk_complete(self) -> None:
        self._head_bytes = 0

    def on_message_complete(self) -> None:
        self._in_body = False
        self._head_bytes = 0
        if self._trailer_fields:
            self._trailer_fields = self._trailer_bytes = 0
        # uvicorn's own (UPSTREAM), copied to spare a call per request.
        if (
            self.parser.should_upgrade() and self._should_upgrade()
        ) or self.cycle.response_complete:
            return
        self.cycle.more_body = False
        self.cycle.message_event.set()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._waiting_since = time.monotonic()
        if self._refusal is not None and not self._answers_pending():
            self._answer_refusal(self._refusal)

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

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _answers_pending(self) -> bool:
        """Whether a request already read is still to be answered (the newest is answered
        last: uvicorn queues the others in its pipeline)."""
        return bool(self.pipeline) or self._busy()

    def _head_too_large(self) -> HeadTooLarge:
        limit = self.limits.max_head_bytes
        return HeadTooLarge(f"The request line and headers are longer than {limit} bytes.")

    def _refuse(self, problem: ProblemException) -> None:
        """Refuses the request being read; the requests read before it are answered first."""
        self.logger.warning("Refused a request: %s", problem.detail)
        self._refused = True
        cycle = self.cycle
        if self._in_body and cycle is not None:
            # Refused in its trailers, the request has a cycle of its own.
            if self.pipeline and self.pipeline[0][0] is cycle:
                # Queued behind others: it answers the refusal in its turn.
                _answer_with(cycle.scope, problem)
            elif cycle.response_started:
                self.transport.close()  # answered already: only the connection is closed
            else:
                self._answer_refusal(problem)
            return
        if self._answers_pending():
            self._refusal = problem
        else:
            self._answer_refusal(problem)

    def _answer_refusal(self, problem: ProblemException) -> None:
        """Answers problem through the app (logged, counted, with a request id), then closes."""
        self._refusal = None
        if self.transport.is_closing():
            return
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": self.asgi_version, "spec_version": "2.3"},
            "http_version": "1.1",
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "root_path": self.root_path,
            "method": "-",
            "path": "",
            "raw_path": b"",
            "query_string": b"",
            "headers": [],
            "state": self.app_state.copy(),
        }
        _answer_with(scope, problem)
        task = self.loop.create_task(self._send_refusal(scope))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    async def _send_refusal(self, scope: dict[str, Any]) -> None:
        parts: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                head = b"".join(n + b": " + v + b"\r\n" for n, v in message["headers"])
                parts.append(STATUS_LINE[message["status"]] + head + b"\r\n")
            else:
                parts.append(message.get("body", b""))

        try:
            await self.app(scope, receive, send)
        finally:
            if not self.transport.is_closing():
                self.transport.write(b"".join(parts))
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
