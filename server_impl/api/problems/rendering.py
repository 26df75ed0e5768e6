"""The one writer of problems, ``render``: every problem, whoever answers it (connexion's
exception middleware, a middleware around connexion, the HTTP server's refusals), as RFC 9457
problem details (application/problem+json) with the id of the request being served in its body
as ``request_id``."""

import json
from typing import Any

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server_impl.observability import request_id

PROBLEM_JSON = "application/problem+json"


def render(
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    ext: dict[str, Any] | None = None,
    type: str | None = None,
    instance: str | None = None,
) -> ConnexionResponse:
    """The one writer of problems: the members connexion's ``problem`` writes, in its order,
    then the ``request_id`` of the request being served (none outside one)."""
    members: dict[str, Any] = {"type": type or "about:blank", "title": title, "detail": detail}
    members["status"] = status
    if instance:
        members["instance"] = instance
    if ext:
        members.update(ext)
    served = request_id.current.get()
    if served is not None:
        members["request_id"] = served
    return ConnexionResponse(
        status,
        PROBLEM_JSON,
        PROBLEM_JSON,
        body=json.dumps(members).encode(),
        headers=dict(headers) if headers else None,  # ConnexionResponse adds to the dict
    )


def rendered(problem: ProblemException) -> ConnexionResponse:
    """A problem raised, as render writes it."""
    return render(
        problem.status,
        problem.title,
        problem.detail,
        headers=problem.headers,
        ext=problem.ext,
        type=problem.type,
        instance=problem.instance,
    )


class _Answer:
    """A problem as an ASGI app, rendered when it runs, in the request it answers: the HTTP
    server's refusals are made before the request id is chosen (ops/protocol/refusals.py)."""

    def __init__(self, problem: ProblemException, headers: dict[str, str] | None) -> None:
        self.problem = problem
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = rendered(self.problem)
        headers = {**answer.headers, **self.headers} if self.headers else answer.headers
        await Response(
            answer.body, status_code=answer.status_code, headers=headers, media_type=PROBLEM_JSON
        )(scope, receive, send)


def response(problem: ProblemException, headers: dict[str, str] | None = None) -> ASGIApp:
    """A problem as a response (an ASGI app) with headers besides its own, for the middleware
    around connexion, whose own error handling covers only what is raised inside it."""
    return _Answer(problem, headers)
