"""A refused request answered as a problem through the app, after every request pipelined
before it, then the connection closed.

Every refusal runs through the app, with its answer as the scope's ``REFUSED`` extension
(server_impl/api/middleware/observed.py), so that it is logged, counted and carries a request
id (the client's, when its head was read and carried a well-formed one); the app served must
therefore answer it: the one server_impl/api/app.py builds does, and so does the metrics
listener's (server_impl/ops/metrics_listener.py).
"""

from typing import Any

from connexion.exceptions import ProblemException
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from server_impl.api.middleware.observed import REFUSED
from server_impl.api.problems import response

_HTTPTOOLS = "uvicorn.protocols.http.httptools_impl"
_PROTOCOL = f"{_HTTPTOOLS}.HttpToolsProtocol"
UPSTREAM: dict[str, tuple[str, str]] = {
    # Every method overridden here: (release checked against, testbed.upstream fingerprint).
    f"{_PROTOCOL}.__init__": ("0.55.0", "264f2f067596"),
    f"{_PROTOCOL}.on_response_complete": ("0.55.0", "5684fd801d06"),
}
RELIED_ON: list[tuple[str, str]] = [
    # (uvicorn object, attribute): methods, and instance attributes that __init__ assigns.
    (_HTTPTOOLS, "STATUS_LINE"),
    *(
        (_PROTOCOL, name)
        for name in (
            "on_response_complete",
            "self.app",
            "self.app_state",
            "self.asgi_version",
            "self.client",
            "self.cycle",
            "self.logger",
            "self.loop",
            "self.pipeline",
            "self.root_path",
            "self.scheme",
            "self.server",
            "self.tasks",
            "self.transport",
        )
    ),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.response_complete"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.response_started"),
    (f"{_HTTPTOOLS}.RequestResponseCycle", "self.scope"),
]
"""What this module uses or overrides of uvicorn's httptools protocol."""


class Refused(Exception):
    """Raised in a parser callback to refuse the request with a problem, then close."""

    def __init__(self, problem: ProblemException) -> None:
        super().__init__(problem.detail)
        self.problem = problem


def answer_with(scope: Any, problem: ProblemException) -> None:
    """Has the app answer the request of scope with problem (observed.py), then close; it is
    rendered when the app runs it, with the request id RequestId has chosen."""
    scope["extensions"] = {REFUSED: response(problem, {"Connection": "close"})}


class RefusingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that refuses a request with a problem (``_refuse``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Once a request is refused, nothing more is read; its refusal waits here until every
        # request read before it is answered.
        self._refused = False
        self._refusal: ProblemException | None = None

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._refusal is not None and not self._answers_pending():
            self._answer_refusal(self._refusal)

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _answers_pending(self) -> bool:
        """Whether a request already read is still to be answered (the newest is answered
        last: uvicorn queues the others in its pipeline)."""
        return bool(self.pipeline) or self._busy()

    def _refuse(self, problem: ProblemException, *, in_body: bool) -> None:
        """Refuses the request being read (in_body: in its trailers, after its head); the
        requests read before it are answered first."""
        self.logger.warning("Refused a request: %s", problem.detail)
        self._refused = True
        cycle = self.cycle
        if in_body and cycle is not None:
            # Refused in its trailers, the request has a cycle of its own.
            if self.pipeline and self.pipeline[0][0] is cycle:
                # Queued behind others: it answers the refusal in its turn.
                answer_with(cycle.scope, problem)
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
        answer_with(scope, problem)
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
