"""An answer given before its request's body was read, in process: the connection is closed,
after the rest of the body is discarded within bounds (RequestFraming). Its refusals of a
missing Host and of transfer codings are pinned through the app in test_middleware.py."""

import asyncio
import time

from starlette.types import Message, Receive, Scope, Send

from server_impl.api.middleware import RequestFraming
from tests.support import run_async

CHUNK = b"x" * 65536
ANSWER = b'{"status": 413}'


async def answer_413_unread(_scope: Scope, _receive: Receive, send: Send) -> None:
    headers = [(b"content-length", str(len(ANSWER)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": ANSWER})


def scope(*headers: tuple[bytes, bytes]) -> Scope:
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": "/",
        "headers": [(b"host", b"testserver"), *headers],
    }


def run(app: RequestFraming, scope: Scope, receive: Receive) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    run_async(app(scope, receive, send))
    return sent


def test_the_answer_goes_out_whole_then_the_body_is_discarded_up_to_its_byte_bound() -> None:
    reads = 0

    async def endless_body() -> Message:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": CHUNK, "more_body": True}

    app = RequestFraming(answer_413_unread, linger_s=30, linger_bytes=1024 * 1024)
    sent = run(app, scope((b"content-length", b"99999999")), endless_body)
    start, answer, end = sent
    assert (b"connection", b"close") in start["headers"]
    assert answer == {"type": "http.response.body", "body": ANSWER, "more_body": True}
    assert end == {"type": "http.response.body", "body": b"", "more_body": False}
    assert reads == 1024 * 1024 // len(CHUNK) + 1


def test_a_body_that_stops_arriving_is_waited_for_only_up_to_the_time_bound() -> None:
    async def stalled() -> Message:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    app = RequestFraming(answer_413_unread, linger_s=0.2)
    started = time.monotonic()
    sent = run(app, scope((b"transfer-encoding", b"chunked")), stalled)
    assert time.monotonic() - started < 5
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


def test_a_client_waiting_for_100_continue_is_answered_and_closed_at_once() -> None:
    async def never_read() -> Message:
        raise AssertionError("no body was asked for, so none is read")

    headers = ((b"content-length", b"100"), (b"expect", b"100-continue"))
    sent = run(RequestFraming(answer_413_unread), scope(*headers), never_read)
    start, answer = sent
    assert (b"connection", b"close") in start["headers"]
    assert answer == {"type": "http.response.body", "body": ANSWER}


def test_an_answer_after_the_whole_body_keeps_the_connection() -> None:
    async def whole_then_answer(_scope: Scope, receive: Receive, send: Send) -> None:
        assert (await receive())["more_body"] is False
        await answer_413_unread(_scope, receive, send)

    async def whole() -> Message:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    sent = run(RequestFraming(whole_then_answer), scope((b"content-length", b"2")), whole)
    start, answer = sent
    assert (b"connection", b"close") not in start["headers"]
    assert answer == {"type": "http.response.body", "body": ANSWER}
