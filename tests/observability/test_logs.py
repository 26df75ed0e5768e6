"""The two line formats, and the caps on what a line may carry."""

import json
import logging
import logging.config

import pytest

from server_impl.observability import logs, request_id


def record(message: str, *, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, error.__traceback__) if error else None
    made = logging.LogRecord("conversations.test", logging.ERROR, __file__, 1, message, None,
                             exc_info)  # fmt: skip
    made.created = 1796040000.25  # 2026-11-30T12:00:00.250Z
    made.msecs = 250.0
    return made


def formatted(log_format: logs.LogFormat, made: logging.LogRecord) -> str:
    config = logs.config(log_format, "info")
    options = dict(config["formatters"]["line"])
    formatter = options.pop("()")(**options)
    logs.RequestIdFilter().filter(made)
    return str(formatter.format(made))


def failure(size: int) -> BaseException:
    try:
        raise ValueError("x" * size)
    except ValueError as error:
        return error


def test_a_text_line_starts_with_its_utc_time_level_logger_and_request_id() -> None:
    token = request_id.current.set("req-7")
    try:
        line = formatted("text", record("hello"))
    finally:
        request_id.current.reset(token)
    assert line == "2026-11-30T12:00:00.250Z ERROR conversations.test [req-7] hello"


def test_a_json_line_is_one_object_with_the_same_fields_and_its_traceback() -> None:
    line = formatted("json", record("hello", error=failure(10)))
    assert "\n" not in line
    parsed = json.loads(line)
    assert {k: parsed[k] for k in ("time", "level", "logger", "request_id", "message")} == {
        "time": "2026-11-30T12:00:00.250Z",
        "level": "ERROR",
        "logger": "conversations.test",
        "request_id": "-",
        "message": "hello",
    }
    assert parsed["traceback"].endswith("ValueError: xxxxxxxxxx")


def test_a_long_message_and_a_long_traceback_are_cut_keeping_the_error() -> None:
    for log_format in ("text", "json"):
        line = formatted(log_format, record("m" * 100_000, error=failure(100_000)))
        assert len(line) < logs.MAX_MESSAGE + logs.MAX_TRACEBACK + 200, log_format
        assert "m" * 100 in line and "ValueError: xxxx" in line


def test_without_access_log_the_access_logger_makes_no_line_at_any_level(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The access line is written outside logging (logs.access): the test run's loggers stay.
    monkeypatch.setattr(logging.config, "dictConfig", lambda config: None)
    monkeypatch.setattr(logs, "access", None)
    for level in ("debug", "info"):
        logs.configure("text", level, access_log=False)
        assert logs.access is None
        # Configured again with it, the access logger follows the root's level once more.
        logs.configure("text", level)
        assert logs.access is not None


def test_a_text_access_field_is_kept_when_a_plain_token_and_quoted_otherwise() -> None:
    for plain in ("203.0.113.9", "2001:db8::1", "org-1f2e", "-", "GET", "0f1e2d3c4b5a6978"):
        assert logs.field(plain) == plain
    for forged in ("203.0.113.9 key=k org=o", "a\nb", 'x"y', "k=v", "", "é"):
        shown = logs.field(forged)
        assert shown.startswith('"') and json.loads(shown) == forged and "\n" not in shown


def test_a_text_message_never_makes_a_line_of_its_own() -> None:
    line = formatted("text", record("first\nERROR conversations.forged [-] second\r\u2028\x1b[2J"))
    assert line.count("\n") == 0
    assert line.endswith("first\\nERROR conversations.forged [-] second\\r\\u2028\\x1b[2J")


def test_every_line_is_at_most_max_line_characters_json_too() -> None:
    huge = record("m" * 100_000, error=failure(100_000))
    huge.client = "1" * 60_000  # an extra field, as the access line's
    huge.stack_info = "s\n" * 100_000
    # Each of these characters is written in JSON as 6 or 12.
    escaped = record("\x01" * 100_000, error=ValueError("\U0001f600" * 100_000))
    for log_format in ("text", "json"):
        for made in (huge, escaped):
            line = formatted(log_format, made)
            assert len(line) <= logs.MAX_LINE, (log_format, len(line))
            assert "mmmm" in line or "\\x01" in line or "\\u0001" in line
            if log_format == "json":
                parsed = json.loads(line)
                assert parsed["level"] == "ERROR" and parsed["logger"] == "conversations.test"
                assert "ValueError" in parsed["traceback"]
