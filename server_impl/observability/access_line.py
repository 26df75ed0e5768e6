"""The access line, one per request, written beside the standard library's logging by
structlog's BytesLogger, its JSON by orjson: logging's record and handler chain cost a request
more than the rest of its observation (bench/results.md).

Access lines are written in batches: each batch is one write of at most PIPE_BUF bytes (a
write that no other worker's can split, on a pipe too), made once the next line would not fit
in it, FLUSH_AFTER_S after its first line at the latest, and when the app stops (its lifespan
ends), so that a clean stop loses none. One write a line cost a request more CPU in the kernel
than the line's making (bench/results.md).

In text, the access line quotes a field unless it is a plain token (``field``), so that no
value makes a field of its own; its limits are those of every line (lines.py).
"""

import asyncio
import json
import re
import select
import time
from typing import Any, BinaryIO

import orjson
import structlog

from server_impl.observability import request_id
from server_impl.observability.lines import (
    FALLBACK_PART,
    MAX_FIELD,
    MAX_LINE,
    MAX_MESSAGE,
    MILLISECONDS,
    LogFormat,
    cut,
    cut_line,
    now,
    rfc3339_at,
)

ACCESS = "conversations.access"
"""The logger named by the access line, one per request."""
_TEXT_HEAD = [f"{milliseconds} INFO {ACCESS} [" for milliseconds in MILLISECONDS]
"""What follows a text access line's whole second, by millisecond: its time's end, and its head."""
_TENTHS = [f"{tenths // 10}.{tenths % 10}ms" for tenths in range(1000)]
"""Durations below 100 ms as the text shows them, by tenths of a millisecond."""
_TOKEN = re.compile(r"[\w.:/{}@+-]+", re.ASCII)


def field(value: object) -> str:
    """A value of the text access line: as it is when a plain token (letters, digits and
    ``. : / { } @ + - _``), else quoted as a JSON string, so that no value, whoever sent it,
    reads as another field or another line."""
    text = str(value)
    return text if _TOKEN.fullmatch(text) else json.dumps(text)


_Parts = dict[tuple[str | None, ...], str]
_what: _Parts = {}
_who: _Parts = {}
"""The parts of recent access lines' messages, by the values they show: few differ (method,
route and operation; key, organization and client), and quoting them costs more than the
lookup. At most _PARTS_MAX parts of at most _PART_LONGEST characters each are kept."""
_PARTS_MAX = 4096
_PART_LONGEST = 512


def _part(parts: _Parts, values: tuple[str | None, ...], shown: str) -> str:
    if len(shown) <= _PART_LONGEST:
        if len(parts) >= _PARTS_MAX:
            parts.clear()
        parts[values] = shown
    return shown


def _json(value: dict[str, Any]) -> bytes:
    """value as one line of JSON, every character outside printable ASCII escaped, as
    JsonLineFormatter writes it (orjson writes the rest of Unicode, and DEL, as they are)."""
    line = orjson.dumps(value)
    if line.isascii() and b"\x7f" not in line:
        return line
    return json.dumps(value, separators=(",", ":")).encode()


PIPE_BUF = select.PIPE_BUF
"""The most bytes one write of access lines holds (but a single longer line): as many as a write
to a pipe puts in it whole, never interleaved with another process's (POSIX's PIPE_BUF)."""
FLUSH_AFTER_S = 1.0
"""The longest an access line waits to be written, while the server runs."""


class AccessLog:
    """Writes each request's access line, as TextFormatter or JsonLineFormatter write a record
    at info of the ACCESS logger (JSON without the space after each separator), to a file by
    structlog's BytesLogger: no record, handler or processor chain between. Lines wait in a
    batch (the module's docstring says when it is written); outside an event loop, each is
    written at once."""

    def __init__(
        self,
        log_format: LogFormat,
        file: BinaryIO,
        *,
        batch_bytes: int = PIPE_BUF,
        flush_after_s: float = FLUSH_AFTER_S,
    ) -> None:
        self._write = structlog.BytesLogger(file).msg
        self._json = log_format == "json"
        self._batch: list[bytes] = []
        self._batch_size = 0
        self._batch_bytes = batch_bytes
        self._flush_after_s = flush_after_s
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None
        self._second = -1
        self._second_text = ""

    def flush(self) -> None:
        """Writes the lines waiting, in one write."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = self._timer_loop = None
        if self._batch:
            lines = self._batch
            self._batch, self._batch_size = [], 0
            self._write(b"\n".join(lines))

    def _add(self, line: bytes) -> None:
        size = len(line) + 1  # and its newline
        if self._batch_size + size > self._batch_bytes:
            self.flush()
        self._batch.append(line)
        self._batch_size += size
        if self._batch_size >= self._batch_bytes:
            self.flush()
            return
        # A timer runs for the batch, unless its loop has ended (it never fires then). Only
        # without one is the running loop looked up: on Python 3.11 that is a getpid() call.
        if self._timer_loop is not None and not self._timer_loop.is_closed():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        # The lines wait no longer than FLUSH_AFTER_S.
        self._timer = loop.call_later(self._flush_after_s, self.flush)
        self._timer_loop = loop

    def __call__(
        self,
        method: str,
        route: str,
        operation: str,
        status: int,
        duration_us: int,
        key_id: str | None,
        organization_id: str | None,
        client: str | None,
    ) -> None:
        # The route and operation are the spec's; every other value may come from a client,
        # and is quoted unless a plain token: no control character is left to escape.
        what = (method, route, operation)
        done = _what.get(what) or _part(_what, what, f"{field(method)} {route} {operation}")
        who = (key_id, organization_id, client)
        by = _who.get(who) or _part(
            _who,
            who,
            f" key={field(key_id or '-')} org={field(organization_id or '-')}"
            f" client={field(client or '-')}",
        )
        # The duration to 0.1 ms in the message, to the µs in JSON's duration_ms. From whole µs:
        # rounding a float to places (round, :.1f) goes through its decimal digits, and cost a
        # request more than the rest of its line (bench/results.md).
        tenths = (duration_us + 50) // 100
        shown = _TENTHS[tenths] if tenths < 1000 else f"{tenths // 10}.{tenths % 10}ms"
        message = f"{done} {status} {shown}{by}"
        rid = request_id.current.get() or "-"
        if not self._json:
            if len(message) > MAX_MESSAGE:
                message = cut(message, MAX_MESSAGE)
            # now(), without its call: its whole second, then _TEXT_HEAD by its millisecond.
            milliseconds = time.time_ns() // 1_000_000
            second = milliseconds // 1000
            if second != self._second:
                self._second = second
                self._second_text = rfc3339_at(second, 0)[:-5]
            line = f"{self._second_text}{_TEXT_HEAD[milliseconds % 1000]}{rid}] {message}"
            self._add((line if len(line) <= MAX_LINE else cut_line(line)).encode())
            return
        head = {"time": now(), "level": "INFO", "logger": ACCESS, "request_id": rid}
        fields = {
            **head,
            "message": message,
            "method": method,
            "route": route,
            "operation_id": operation,
            "status": status,
            "duration_ms": duration_us / 1000,
            "key_id": key_id,
            "organization_id": organization_id,
            "client": client,
        }
        # The message shows every value whole, if quoted longer: when it fits, they all do.
        if len(message) > MAX_FIELD:
            for name, value in fields.items():
                if isinstance(value, str):
                    fields[name] = cut(value, MAX_MESSAGE if name == "message" else MAX_FIELD)
        encoded = _json(fields)
        if len(encoded) > MAX_LINE:
            # As JsonLineFormatter.format: only escapes make the fields cut above exceed it.
            short = {**head, "message": cut(message, FALLBACK_PART), "cut_from": len(encoded)}
            encoded = _json(short)
        self._add(encoded)
