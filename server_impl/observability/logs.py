"""How the server logs: every line, access and application, as readable text (the default) or
as one JSON object per line (`serve --log-format json`). Application lines go through the
standard library's logging (python-json-logger formats the JSON); the access line, one per
request, is written beside it (access_line.py).

Every line of a request carries its request id. Times are UTC, RFC 3339. A line's message is
cut to MAX_MESSAGE characters, and so is each line of a traceback, which keeps its last
MAX_TRACEBACK characters (where the error is), and every other field of a JSON line to
MAX_FIELD; a whole line, traceback and all, is at most MAX_LINE characters, whatever a client
sent. In text, control characters of a message are escaped, so that no message makes a line of
its own, and the access line quotes a field unless it is a plain token (``field``), so that no
value makes a field of its own. 4xx answers are routine and not logged but by the access line;
a 5xx from an unexpected error is logged once, by api/problems.py, with its traceback.
"""

import logging
import logging.config
import re
import sys
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from server_impl.observability import request_id
from server_impl.observability.access_line import ACCESS as ACCESS
from server_impl.observability.access_line import FLUSH_AFTER_S as FLUSH_AFTER_S
from server_impl.observability.access_line import PIPE_BUF as PIPE_BUF
from server_impl.observability.access_line import AccessLog as AccessLog
from server_impl.observability.access_line import field as field
from server_impl.observability.lines import FALLBACK_PART, cut, cut_line, rfc3339_at
from server_impl.observability.lines import MAX_FIELD as MAX_FIELD
from server_impl.observability.lines import MAX_LINE as MAX_LINE
from server_impl.observability.lines import MAX_MESSAGE as MAX_MESSAGE
from server_impl.observability.lines import MAX_TRACEBACK as MAX_TRACEBACK
from server_impl.observability.lines import LogFormat as LogFormat

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
JSON_FIELDS = ["asctime", "levelname", "name", "request_id", "message"]
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "exc_info": "traceback"}


def _rfc3339(record: logging.LogRecord) -> str:
    return rfc3339_at(int(record.created), int(record.msecs))


def _escaped(text: str) -> str:
    """Control characters (line breaks among them) as Python writes them in a string."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], text)


def _cut_traceback(text: str, line: int = MAX_MESSAGE, whole: int = MAX_TRACEBACK) -> str:
    """Each line cut to line characters, then the last lines that fit in whole: the
    exception's type and where it was raised stay."""
    lines = [cut(each, line) for each in text.splitlines()]
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
        message = _escaped(cut(record.getMessage(), MAX_MESSAGE))
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
        return cut_line(line)

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
                log_data[name] = cut(value, MAX_MESSAGE if name == "message" else MAX_FIELD)

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
            "message": cut(record.getMessage(), FALLBACK_PART),
            "cut_from": len(line),
        }
        if record.exc_info:
            text = super().formatException(record.exc_info)
            joined = text if isinstance(text, str) else "\n".join(text)
            short["traceback"] = _cut_traceback(joined, FALLBACK_PART // 2, FALLBACK_PART)
        return self.jsonify_log_record(short)

    def formatException(self, ei: Any) -> str:  # noqa: N802
        text = super().formatException(ei)
        return _cut_traceback(text if isinstance(text, str) else "\n".join(text))


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
