"""How the server logs: every line, access and application, as readable text (the default) or
as one JSON object per line (`serve --log-format json`). Application lines go through the
standard library's logging (python-json-logger formats the JSON); the access line, one per
request, is written beside it by structlog's BytesLogger, its JSON by orjson: logging's record
and handler chain cost a request more than the rest of its observation (bench/results.md).

Access lines are written in batches: each batch is one write of at most PIPE_BUF bytes (a
write that no other worker's can split, on a pipe too), made once the next line would not fit
in it, FLUSH_AFTER_S after its first line at the latest, and when the app stops (its lifespan
ends), so that a clean stop loses none. One write a line cost a request more CPU in the kernel
than the line's making (bench/results.md).

Every line of a request carries its request id. Times are UTC, RFC 3339. A line's message is
cut to MAX_MESSAGE characters, and so is each line of a traceback, which keeps its last
MAX_TRACEBACK characters (where the error is), and every other field of a JSON line to
MAX_FIELD; a whole line, traceback and all, is at most MAX_LINE characters, whatever a client
sent. In text, control characters of a message are escaped, so that no message makes a line of
its own, and the access line quotes a field unless it is a plain token (``field``), so that no
value makes a field of its own. 4xx answers are routine and not logged but by the access line;
a 5xx from an unexpected error is logged once, by api/problems.py, with its traceback.
"""

import asyncio
import json
import logging
import logging.config
import re
import select
import sys
import time
from typing import Any, BinaryIO, Literal

import orjson
import structlog
from pythonjsonlogger.json import JsonFormatter

from server_impl.observability import request_id

LogFormat = Literal["text", "json"]
MAX_MESSAGE = 4096
MAX_TRACEBACK = 16384
MAX_FIELD = 1024
MAX_LINE = 32768
_FALLBACK_PART = MAX_LINE // 32
"""The message and the traceback's tail of a JSON line that escaping made longer than MAX_LINE:
JSON writes one character as at most 12 (a surrogate pair's two ``\\uXXXX``)."""
_TOKEN = re.compile(r"[\w.:/{}@+-]+", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
ACCESS = "conversations.access"
"""The logger named by the access line, one per request."""
JSON_FIELDS = ["asctime", "levelname", "name", "request_id", "message"]
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "exc_info": "traceback"}


_second: tuple[int, str] = (-1, "")
"""The last whole second formatted, and its text: a busy server logs many lines a second."""


def _rfc3339(record: logging.LogRecord) -> str:
    return _rfc3339_at(int(record.created), int(record.msecs))


_MILLISECONDS = [f".{milliseconds:03d}Z" for milliseconds in range(1000)]


def _rfc3339_at(whole: int, milliseconds: int) -> str:
    global _second
    if _second[0] != whole:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return _second[1] + _MILLISECONDS[milliseconds]


def _now() -> str:
    """This moment as _rfc3339 writes a record made now."""
    milliseconds = time.time_ns() // 1_000_000
    return _rfc3339_at(milliseconds // 1000, milliseconds % 1000)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut_line(line: str) -> str:
    """At most MAX_LINE characters, its start and its end kept (where a traceback's error is)."""
    if len(line) <= MAX_LINE:
        return line
    half = MAX_LINE // 2
    return line[:half] + "…" + line[-(MAX_LINE - half - 1) :]


def _escaped(text: str) -> str:
    """Control characters (line breaks among them) as Python writes them in a string."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def field(value: object) -> str:
    """A value of the text access line: as it is when a plain token (letters, digits and
    ``. : / { } @ + - _``), else quoted as a JSON string, so that no value, whoever sent it,
    reads as another field or another line."""
    text = str(value)
    return text if _TOKEN.fullmatch(text) else json.dumps(text)


def _cut_traceback(text: str, line: int = MAX_MESSAGE, whole: int = MAX_TRACEBACK) -> str:
    """Each line cut to line characters, then the last lines that fit in whole: the
    exception's type and where it was raised stay."""
    lines = [_cut(each, line) for each in text.splitlines()]
    kept: list[str] = []
    size = 0
    for each in reversed(lines):
        size += len(each) + 1
        if size > whole:
            kept.append("…")
            break
        kept.append(each)
    return "\n".join(reversed(kept))


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was logged in ('-' outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.current.get() or "-"
        return True


class TextFormatter(logging.Formatter):
    """time level logger [request id] message, then the traceback if any.

    Built directly rather than through a %-style template: the template's steps (a style
    object, a dict of the record, a check for the time) made up a third of a line's cost, and a
    line is written for every request.
    """

    def format(self, record: logging.LogRecord) -> str:
        message = _escaped(_cut(record.getMessage(), MAX_MESSAGE))
        line = (
            f"{_rfc3339(record)} {record.levelname} {record.name}"
            f" [{getattr(record, 'request_id', '-')}] {message}"
        )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += "\n" + record.exc_text
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return _cut_line(line)

    def formatException(self, ei: Any) -> str:  # noqa: N802
        return _cut_traceback(super().formatException(ei))


class JsonLineFormatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return _rfc3339(record)

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        for name, value in log_data.items():
            # The traceback is cut already (formatException).
            if isinstance(value, str) and name != RENAMED["exc_info"]:
                log_data[name] = _cut(value, MAX_MESSAGE if name == "message" else MAX_FIELD)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if len(line) <= MAX_LINE:
            return line
        # Only escapes (of control or non-ASCII characters) make the fields cut above exceed
        # MAX_LINE: the line again with fewer of them.
        short: dict[str, Any] = {
            "time": _rfc3339(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": _cut(record.getMessage(), _FALLBACK_PART),
            "cut_from": len(line),
        }
        if record.exc_info:
            text = super().formatException(record.exc_info)
            joined = text if isinstance(text, str) else "\n".join(text)
            short["traceback"] = _cut_traceback(joined, _FALLBACK_PART // 2, _FALLBACK_PART)
        return self.jsonify_log_record(short)

    def formatException(self, ei: Any) -> str:  # noqa: N802
        text = super().formatException(ei)
        return _cut_traceback(text if isinstance(text, str) else "\n".join(text))


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
        duration_ms: float,
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
        message = f"{done} {status:d} {duration_ms:.1f}ms{by}"
        rid = request_id.current.get() or "-"
        if not self._json:
            if len(message) > MAX_MESSAGE:
                message = _cut(message, MAX_MESSAGE)
            line = f"{_now()} INFO {ACCESS} [{rid}] {message}"
            self._add((line if len(line) <= MAX_LINE else _cut_line(line)).encode())
            return
        head = {"time": _now(), "level": "INFO", "logger": ACCESS, "request_id": rid}
        fields = {
            **head,
            "message": message,
            "method": method,
            "route": route,
            "operation_id": operation,
            "status": status,
            "duration_ms": duration_ms,
            "key_id": key_id,
            "organization_id": organization_id,
            "client": client,
        }
        # The message shows every value whole, if quoted longer: when it fits, they all do.
        if len(message) > MAX_FIELD:
            for name, value in fields.items():
                if isinstance(value, str):
                    fields[name] = _cut(value, MAX_MESSAGE if name == "message" else MAX_FIELD)
        encoded = _json(fields)
        if len(encoded) > MAX_LINE:
            # As JsonLineFormatter.format: only escapes make the fields cut above exceed it.
            short = {**head, "message": _cut(message, _FALLBACK_PART), "cut_from": len(encoded)}
            encoded = _json(short)
        self._add(encoded)


access: AccessLog | None = None
"""Where each request's access line is written (server_impl/api/middleware/observed.py): set
by configure, None while no access line is written (--no-access-log, or a level above info)."""


def config(log_format: LogFormat, level: str) -> dict[str, Any]:
    """The dictConfig of every logger of the server but the access line's: uvicorn's,
    gunicorn's, connexion's, ours."""
    formatter: dict[str, Any] = (
        {"()": JsonLineFormatter, "fmt": JSON_FIELDS, "rename_fields": RENAMED}
        if log_format == "json"
        else {"()": TextFormatter}
    )
    handler = ["stderr"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"line": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": handler, "level": level.upper()},
        "loggers": {
            # Each is written once, by the root's handler.
            **{
                name: {"handlers": [], "propagate": True}
                for name in ("uvicorn", "uvicorn.error", "gunicorn.error")
            },
            # The access line is ours (`access`).
            "uvicorn.access": {"handlers": [], "propagate": False},
            "gunicorn.access": {"handlers": [], "propagate": False},
            # Every 4xx problem is logged as a warning (api/problems.py, as connexion logs
            # them), and every request without a key at info; the access line says enough.
            "server_impl.api.problems": {"level": "ERROR"},
            "connexion.security": {"level": "WARNING"},
        },
    }


def configure(log_format: LogFormat, level: str, *, access_log: bool = True) -> None:
    """Every line of the server to stderr. The access line, at info, is written at level info
    and below; without access_log, at none."""
    global access
    if access is not None:
        access.flush()
    logging.config.dictConfig(config(log_format, level))
    writes_access = access_log and logging.getLevelName(level.upper()) <= logging.INFO
    access = AccessLog(log_format, sys.stderr.buffer) if writes_access else None
    # No line shows the calling function, thread or process: skip collecting them for every
    # record (the optimizations of the standard library's logging HOWTO).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
