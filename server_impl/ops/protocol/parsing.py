"""Each request as the parser reads it: the head and its trailers held to their limits, and
uvicorn's callbacks copied in, to spare a call per request, header field and piece of body.

uvicorn's httptools parser enforces no limit on a request head: header lines streamed without end
grow the process without bound (httptools joins a header value piece by piece), and a request
with 10⁶ headers is parsed in full before the app sees it. Each connection here:

- answers ``431`` and closes once a request head passes ``max_head_bytes``, having read no
  further, or has more than ``max_header_fields`` fields; each request head of a pipeline counts
  apart, and a chunked body's trailer section falls under the same two limits;
- never adds a trailer field (after a chunked body) to the request's headers: trailers are
  ignored, so that one cannot supply the Authorization, X-Request-Id or X-Forwarded-For of a
  request whose head did not carry them;
- answers a request the parser refuses (RFC 9112 syntax) ``400`` with a problem, then closes;
- answers ``503`` past ``max_connections`` when no connection is idle (connections.py).

Refusals are answered after the requests read before them (refusals.py).
"""

import time
from typing import Any

import httptools
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT

from server_impl.api.problems import HeadTooLarge, MalformedRequest, Overloaded

from .connections import ConnectionLimitedHttpToolsProtocol
from .refusals import Refused, answer_with

_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"
_PROTOCOL = f"{_HTTPTOOLS}.HttpToolsProtocol"
UPSTREAM: dict[str, tuple[str, str]] = {
    # Every method overridden here, data_received, on_header, on_body and on_message_complete
    # with uvicorn's own code copied in: (release checked against, testbed.upstream fingerprint).
    f"{_PROTOCOL}.__init__": ("0.55.0", "264f2f067596"),
    f"{_PROTOCOL}.data_received": ("0.55.0", "02c2572f1df5"),
    f"{_PROTOCOL}.on_body": ("0.55.0", "415b4cef19fb"),
    f"{_PROTOCOL}.on_header": ("0.55.0", "5fecb4905c7f"),
    f"{_PROTOCOL}.on_headers_complete": ("0.55.0", "7e259152e5aa"),
    f"{_PROTOCOL}.on_message_complete": ("0.55.0", "377f9122ee6f"),
    f"{_PROTOCOL}.on_response_complete": ("0.55.0", "5684fd801d06"),
}
RELIED_ON: list[tuple[str, str]] = [
    # (uvicorn object, attribute): methods, and instance attributes that __init__ assigns.
    ("uvicorn.protocols.http.flow_control", "HIGH_WATER_LIMIT"),
    *(
        (_PROTOCOL, name)
        for name in (
            "data_received",
            "on_header",
            "on_headers_complete",
            "on_body",
            "on_message_complete",
            "on_response_complete",
            "_unset_keepalive_if_required",
            "handle_websocket_upgrade",
            "_should_upgrade",
            "_unsupported_upgrade_warning",
            "self.connections",
            "self.cycle",
            "self.expect_100_continue",
            "self.flow",
            "self.headers",
            "self.logger",
            "self.parser",
            "self.scope",
        )
    ),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.body"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.message_event"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.more_body"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.response_complete"),
]
"""What this module uses or overrides of uvicorn's httptools protocol."""

_HEAD_END = b"\r\n\r\n"
_NOT_READ = -1
_CONTENT_LENGTH = b"content-length"


class LimitedHttpToolsProtocol(ConnectionLimitedHttpToolsProtocol):
    """uvicorn's httptools protocol with ``limits`` on heads, slow clients and connections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, but feeding the parser through _feed, which bounds each request head,
        # and answering a refused request as a problem after those read before it.
        self._unset_keepalive_if_required()
        if self._refused:
            return
        if self._idle:
            self._next_request_begins()
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
        except Refused as refusal:
            self._refuse(refusal.problem, in_body=self._in_body)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, Refused):
                self._refuse(error.__context__.problem, in_body=self._in_body)
            elif isinstance(error.__context__, httptools.HttpParserInvalidURLError):
                # uvicorn's on_headers_complete parses the target: CONNECT's host:port fails.
                self._refuse(MalformedRequest("Invalid request target"), in_body=self._in_body)
            else:
                self._refuse(MalformedRequest(str(error)), in_body=self._in_body)

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
                    raise Refused(self._head_too_large())
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
            raise Refused(HeadTooLarge(f"The request has more than {fields} trailer fields."))
        if self._trailer_bytes > limits.max_head_bytes:
            limit = limits.max_head_bytes
            raise Refused(HeadTooLarge(f"The request's trailers are longer than {limit} bytes."))

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._head_bytes:
            # The next request's head began before this answer ended (pipelined): it is not
            # idle, and the head timeout runs from now, as it did for it before.
            self._idle = False

    def on_headers_complete(self) -> None:
        self._head_bytes = 0
        self._waiting_since = time.monotonic()  # now for the body, if there is one
        # Counted here rather than per field: the size limit already bounds how many there are.
        limits = self.limits
        if len(self.headers) > limits.max_header_fields:
            fields = limits.max_header_fields
            raise Refused(HeadTooLarge(f"The request has more than {fields} header fields."))
        if (
            len(self.connections) > limits.max_connections
            and self._open_connections() > limits.max_connections
        ):
            # This connection answers 503 and closes (the answer says so), through the app.
            self.logger.warning("Refused a request: %s", Overloaded().detail)
            answer_with(self.scope, Overloaded())
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

    def _head_too_large(self) -> HeadTooLarge:
        limit = self.limits.max_head_bytes
        return HeadTooLarge(f"The request line and headers are longer than {limit} bytes.")
