"""Faults injected between the generated client and a real server, through httpx's transport
hook (``httpx_args={"transport": ...}``): each request takes the next scripted fault, then
passes through to the server once the script is spent."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.support import TLS

# A fault gets the request and the transport to the real server; it answers, or raises.
Fault = Callable[[httpx.Request, httpx.BaseTransport], httpx.Response]


def unavailable(retry_after: str | None = "1", status: int = 503) -> Fault:
    """An answer as the server gives it when it cannot serve (without reaching the server)."""

    def answer(request: httpx.Request, server: httpx.BaseTransport) -> httpx.Response:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        problem = {"type": "about:blank", "title": "Unavailable", "status": status, "detail": "-"}
        return httpx.Response(status, json=problem, headers=headers, request=request)

    return answer


def refused(request: httpx.Request, server: httpx.BaseTransport) -> httpx.Response:
    """The connection could not be made: the server never saw the request."""
    raise httpx.ConnectError("connection refused (injected)", request=request)


def timed_out(request: httpx.Request, server: httpx.BaseTransport) -> httpx.Response:
    raise httpx.ReadTimeout("read timed out (injected)", request=request)


def dropped_after_handling(request: httpx.Request, server: httpx.BaseTransport) -> httpx.Response:
    """The server handles the request, then the connection drops before its answer arrives."""
    server.handle_request(request).read()
    raise httpx.RemoteProtocolError("connection dropped (injected)", request=request)


@dataclass
class Faults(httpx.BaseTransport):
    script: list[Fault]
    server: httpx.BaseTransport = field(default_factory=lambda: httpx.HTTPTransport(verify=TLS))
    # Every request sent, and when (time.monotonic()).
    sent: list[tuple[float, httpx.Request]] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append((time.monotonic(), request))
        if self.script:
            return self.script.pop(0)(request, self.server)
        return self.server.handle_request(request)

    def close(self) -> None:
        self.server.close()

    @property
    def waits(self) -> list[float]:
        """Seconds between one request sent and the next."""
        times = [at for at, _ in self.sent]
        return [later - earlier for earlier, later in zip(times, times[1:], strict=False)]


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError("an async fault must answer without the server")


_NO_SERVER = httpx.MockTransport(_unreachable)


@dataclass
class AsyncFaults(httpx.AsyncBaseTransport):
    """Faults for the async client, of those that answer without reaching the server."""

    script: list[Fault]
    server: httpx.AsyncBaseTransport = field(
        default_factory=lambda: httpx.AsyncHTTPTransport(verify=TLS)
    )
    sent: list[tuple[float, httpx.Request]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.sent.append((time.monotonic(), request))
        if self.script:
            return self.script.pop(0)(request, _NO_SERVER)
        return await self.server.handle_async_request(request)

    async def aclose(self) -> None:
        await self.server.aclose()
