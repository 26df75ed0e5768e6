"""The access line, written outside logging's record chain (structlog's BytesLogger, orjson),
is the line the standard library's logging wrote for the same request: the EXPECTED lines were
captured from the Observed middleware of main at 6c4af0f, whose line went through logging."""

import asyncio
import hashlib
import io
import json
import logging.config
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.types import Message, Scope

from server_impl.api.middleware.observed import Observed
from server_impl.observability import logs, request_id

ROUTES = {"retrieve_conversation": "/v1/conversations/{conversation_id}"}
NOW_NS = 1796040000250000000  # 2026-11-30T12:00:00.250Z
DURATION_NS = 1_234_500


def scope(
    client: tuple[str, int] | None,
    token_info: dict[str, Any] | None,
    *,
    operation: str | None = "retrieve_conversation",
    method: str = "GET",
) -> Scope:
    """A request as connexion's routing and security leave it once answered."""
    extensions: dict[str, Any] = {}
    if operation:
        extensions["connexion_routing"] = {"operation_id": operation}
    if token_info is not None:
        extensions["connexion_context"] = {"token_info": token_info}
    return {
        "type": "http",
        "method": method,
        "path": "/v1/conversations/conv-1",
        "client": client,
        "extensions": extensions,
    }


def key(key_id: str, organization_id: str) -> dict[str, Any]:
    return {"key_id": key_id, "actor": SimpleNamespace(organization_id=organization_id)}


EMOJI = "\U0001f600"
# By request id: a request as served, one unmatched without a key, one whose client-given values
# must be quoted, one whose escaped JSON exceeds MAX_LINE, one whose values are cut.
REQUESTS = {
    "req-7": scope(("203.0.113.9", 5000), key("0f1e2d3c4b5a6978", "org-1f2e")),
    "-": scope(None, None, operation=None),
    'r "x"': scope(('a b"c\n\u00e9\x7f', 1), key("k=v", "org 1"), method="GE T"),
    "huge": scope((EMOJI * 3000, 1), key("\x01" * 5000, EMOJI * 3000)),
    "big": scope(("1" * 60_000, 1), key("\x01" * 5000, EMOJI * 3000)),
}
# Each line as main wrote it; the longest by length and SHA-256. A JSON line is compared once
# parsed and written again by json.dumps as python-json-logger wrote it, its cut_from (the
# length of the line that was too long) left out.
EXPECTED: dict[tuple[str, str], str | tuple[int, str]] = {
    ("text", "req-7"): "2026-11-30T12:00:00.250Z INFO conversations.access [req-7] GET /v1/conversations/{conversation_id} retrieve_conversation 200 1.2ms key=0f1e2d3c4b5a6978 org=org-1f2e client=203.0.113.9",  # noqa: E501
    ("text", "-"): "2026-11-30T12:00:00.250Z INFO conversations.access [-] GET - unmatched 200 1.2ms key=- org=- client=-",  # noqa: E501
    ("text", 'r "x"'): '2026-11-30T12:00:00.250Z INFO conversations.access [r "x"] "GE T" /v1/conversations/{conversation_id} retrieve_conversation 200 1.2ms key="k=v" org="org 1" client="a b\\"c\\n\\u00e9\\u007f"',  # noqa: E501
    ("text", "huge"): (4154, "c6d84132ff2828835f45f5289cac116a0931119479bd449c3bd52ae7b53f1370"),
    ("text", "big"): (4153, "b559e72e37cc0b1e8d9485b991201a55fda14486a3b7fdf7b5f0d03763e31ea3"),
    ("json", "req-7"): '{"time": "2026-11-30T12:00:00.250Z", "level": "INFO", "logger": "conversations.access", "request_id": "req-7", "message": "GET /v1/conversations/{conversation_id} retrieve_conversation 200 1.2ms key=0f1e2d3c4b5a6978 org=org-1f2e client=203.0.113.9", "method": "GET", "route": "/v1/conversations/{conversation_id}", "operation_id": "retrieve_conversation", "status": 200, "duration_ms": 1.235, "key_id": "0f1e2d3c4b5a6978", "organization_id": "org-1f2e", "client": "203.0.113.9"}',  # noqa: E501
    ("json", "-"): '{"time": "2026-11-30T12:00:00.250Z", "level": "INFO", "logger": "conversations.access", "request_id": "-", "message": "GET - unmatched 200 1.2ms key=- org=- client=-", "method": "GET", "route": "-", "operation_id": "unmatched", "status": 200, "duration_ms": 1.235, "key_id": null, "organization_id": null, "client": null}',  # noqa: E501
    ("json", 'r "x"'): '{"time": "2026-11-30T12:00:00.250Z", "level": "INFO", "logger": "conversations.access", "request_id": "r \\"x\\"", "message": "\\"GE T\\" /v1/conversations/{conversation_id} retrieve_conversation 200 1.2ms key=\\"k=v\\" org=\\"org 1\\" client=\\"a b\\\\\\"c\\\\n\\\\u00e9\\\\u007f\\"", "method": "GE T", "route": "/v1/conversations/{conversation_id}", "operation_id": "retrieve_conversation", "status": 200, "duration_ms": 1.235, "key_id": "k=v", "organization_id": "org 1", "client": "a b\\"c\\n\\u00e9\\u007f"}',  # noqa: E501
    ("json", "huge"): (1312, "86eaeb4ca55d1846d9153be9dba1ec763e691f9e1842d4c39af36b0b72285e43"),
    ("json", "big"): (24544, "65837994ba98fd0d20ab58f1c292fb3818c8988d7f4817de228c1f64e34b4b23"),
}  # fmt: skip


async def answer(scope: Scope, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def served(rid: str, observed: Observed) -> None:
    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        pass

    token = request_id.current.set(None if rid == "-" else rid)
    try:
        asyncio.run(observed(REQUESTS[rid], receive, send))
    finally:
        request_id.current.reset(token)


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The wall clock at NOW_NS, and every request taking DURATION_NS."""
    readings = iter([10**10, 10**10 + DURATION_NS] * len(REQUESTS))
    monkeypatch.setattr(time, "time_ns", lambda: NOW_NS)
    monkeypatch.setattr(time, "perf_counter_ns", lambda: next(readings))
    yield


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.usefixtures("fixed_clock")
def test_the_access_line_is_the_one_logging_wrote_for_the_same_request(
    log_format: logs.LogFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = io.BytesIO()
    access = logs.AccessLog(log_format, written)
    monkeypatch.setattr(logs, "access", access)
    observed = Observed(answer, routes=ROUTES, metrics=None)
    for rid in REQUESTS:
        served(rid, observed)
    access.flush()
    lines = written.getvalue().decode().split("\n")
    assert lines.pop() == ""  # each line ends with one
    assert len(lines) == len(REQUESTS)
    for rid, line in zip(REQUESTS, lines, strict=True):
        assert len(line) <= logs.MAX_LINE
        compared = line
        if log_format == "json":
            parsed = json.loads(line)
            # One object per line, no space after its separators.
            assert line == json.dumps(parsed, separators=(",", ":"))
            if "cut_from" in parsed:
                assert parsed.pop("cut_from") > logs.MAX_LINE
            compared = json.dumps(parsed)
        expected = EXPECTED[log_format, rid]
        if isinstance(expected, str):
            assert compared == expected, rid
        else:
            digest = hashlib.sha256(compared.encode()).hexdigest()
            assert (len(compared), digest) == expected, rid


def test_the_access_line_is_written_at_info_and_below_only_and_never_when_turned_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The standard library's loggers stay as the test run has them.
    monkeypatch.setattr(logging.config, "dictConfig", lambda config: None)
    monkeypatch.setattr(logs, "access", None)
    for level, access_log, written in [
        ("debug", True, True),
        ("info", True, True),
        ("warning", True, False),
        ("error", True, False),
        ("debug", False, False),
        ("info", False, False),
    ]:
        logs.configure("text", level, access_log=access_log)
        assert (logs.access is not None) == written, (level, access_log)


class Writes(io.BytesIO):
    """A file that keeps each write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []

    def write(self, data: Any) -> int:
        self.writes.append(bytes(data))
        return super().write(data)


def line(access: logs.AccessLog, n: int) -> None:
    access("GET", "/v1/conversations/{conversation_id}", "retrieve_conversation", 200, 1000,
           f"key{n}", "org-1", "127.0.0.1")  # fmt: skip


def test_access_lines_wait_and_are_written_whole_in_writes_of_at_most_pipe_buf_bytes() -> None:
    written = Writes()

    async def serving() -> None:
        access = logs.AccessLog("json", written)
        for n in range(200):
            line(access, n)
        # The last batch waits for more lines, or its time.
        assert 0 < written.getvalue().count(b"\n") < 200
        access.flush()

    asyncio.run(serving())
    lines = written.getvalue().splitlines(keepends=True)
    assert [json.loads(one)["key_id"] for one in lines] == [f"key{n}" for n in range(200)]
    assert all(len(write) <= logs.PIPE_BUF and write.endswith(b"\n") for write in written.writes)
    # Each write as full as PIPE_BUF lets it be: the next line would not have fitted.
    following = 0
    for write in written.writes[:-1]:
        following += write.count(b"\n")
        assert len(write) + len(lines[following]) > logs.PIPE_BUF
    assert len(written.writes) < 200 // 5


def test_a_waiting_access_line_is_written_once_flush_after_s_has_passed() -> None:
    written = Writes()

    async def serving() -> None:
        access = logs.AccessLog("text", written, flush_after_s=0.05)
        line(access, 1)
        assert written.writes == []
        deadline = time.monotonic() + 30  # generous: a loaded machine
        while not written.writes and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert written.getvalue().count(b"\n") == 1

    asyncio.run(serving())


def test_a_line_waiting_when_its_event_loop_ended_goes_with_the_next_loops_batch() -> None:
    written = Writes()
    access = logs.AccessLog("text", written, flush_after_s=0.05)

    async def one(n: int) -> None:
        line(access, n)

    asyncio.run(one(1))  # its timer never fires: the loop has ended
    assert written.writes == []

    async def later() -> None:
        line(access, 2)
        deadline = time.monotonic() + 30
        while not written.writes and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    asyncio.run(later())
    assert [b"key1" in part for part in written.getvalue().splitlines()] == [True, False]


def test_outside_an_event_loop_each_access_line_is_written_at_once() -> None:
    written = Writes()
    access = logs.AccessLog("json", written)
    line(access, 1)
    line(access, 2)
    assert len(written.writes) == 2


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_access_line_shows_its_duration_to_the_tenth_of_a_ms_in_text_and_the_µs_in_json(
    log_format: logs.LogFormat, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read from the nanosecond clock in whole µs, shown without a float's rounding to places;
    # as logging showed round(ms, 3) and its .1f for each of these (the table of short
    # durations ends at 100 ms). The wall clock crosses a second between two lines.
    durations_ns = [0, 49_999, 1_234_500, 99_940_000, 99_949_999, 12_345_678_901]
    shown = [
        ("0.0ms", 0.0),
        ("0.1ms", 0.05),
        ("1.2ms", 1.235),
        ("99.9ms", 99.94),
        ("100.0ms", 99.95),
        ("12345.7ms", 12345.679),
    ]
    times = ["00.250", "00.999", "01.000", "01.001", "02.500", "02.501"]
    readings = iter([n for taken in durations_ns for n in (10**10, 10**10 + taken)])
    walls = iter(NOW_NS + offset_ms * 1_000_000 for offset_ms in [0, 749, 750, 751, 2250, 2251])
    monkeypatch.setattr(time, "perf_counter_ns", lambda: next(readings))
    monkeypatch.setattr(time, "time_ns", lambda: next(walls))
    written = io.BytesIO()
    access = logs.AccessLog(log_format, written)
    monkeypatch.setattr(logs, "access", access)
    observed = Observed(answer, routes=ROUTES, metrics=None)
    for _ in durations_ns:
        served("req-7", observed)
    access.flush()
    lines = written.getvalue().decode().splitlines()
    for line, (text, milliseconds), at in zip(lines, shown, times, strict=True):
        if log_format == "json":
            parsed = json.loads(line)
            assert parsed["duration_ms"] == milliseconds
            assert f" 200 {text} " in parsed["message"]
            assert parsed["time"] == f"2026-11-30T12:00:{at}Z"
        else:
            assert f" 200 {text} " in line
            assert line.startswith(f"2026-11-30T12:00:{at}Z INFO conversations.access [req-7] ")
