"""What connexion answers for each error raised inside it: domain errors become problems here,
in one place (``STATUS_OF``); problems raised are logged and rendered with the request id; a
failed authentication, a client gone, an error nothing expected, each its answer."""

import logging
from http import HTTPStatus

from connexion import ConnexionMiddleware
from connexion.exceptions import InternalServerError, OAuthProblem, ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from server_impl.domain.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    PreconditionFailed,
    StorageUnavailable,
)
from server_impl.observability.metrics import Metrics

from .catalogue import RETRY_AFTER_S, InvalidParams, MalformedBody
from .rendering import render, rendered

# The package's logger, as it always was: server_impl/observability/logs.py sets its level.
_log = logging.getLogger(__package__)


STATUS_OF: dict[type[DomainError], tuple[int, str]] = {
    NotFound: (404, "Not Found"),
    InvalidValue: (422, "Unprocessable Content"),
    PreconditionFailed: (412, "Precondition Failed"),
    Conflict: (409, "Conflict"),
    StorageUnavailable: (503, "Service Unavailable"),
}
"""The answer to each kind of domain error (subclasses answer as their base)."""
_RETRY_LATER = {409, 503}
"""The answers that say when to retry: the same request may succeed then."""


def _domain_problem(error: Exception) -> ConnexionResponse:
    if isinstance(error, InvalidValue):  # named, as connexion's own 422s are
        return rendered(InvalidParams(error.name, error.detail))
    kind = next(base for base in type(error).__mro__ if base in STATUS_OF)
    status, title = STATUS_OF[kind]
    headers = {"Retry-After": str(RETRY_AFTER_S)} if status in _RETRY_LATER else None
    assert isinstance(error, DomainError)
    return render(status, title, error.detail, headers=headers)


UNAUTHORIZED = "conversations.unauthorized"
"""The scope extension marking a request answered 401: every 401 is made here, once, and the
limit on failed authentications per address (api/middleware/failed_authentications.py) reads it
once the answer is sent, rather than watching every answer's status go by."""


def _unauthorized(request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """Every 401 says which scheme to use (RFC 9110, 11.6.1)."""
    assert isinstance(error, OAuthProblem)
    request.scope.setdefault("extensions", {})[UNAUTHORIZED] = True
    return render(
        401,
        "Unauthorized",
        f"{error.detail}. Send an API key as 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": 'Bearer realm="conversations"'},
    )


def _client_left(_request: ConnexionRequest, _error: Exception) -> ConnexionResponse:
    # A client gone before its body arrived is routine, not a server error; nobody reads this.
    return rendered(MalformedBody("The connection closed before the whole body arrived."))


def _raised(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """A problem raised anywhere inside connexion, ours or its own (in place of connexion's
    handler, which writes it without the request id), logged as connexion logs it."""
    assert isinstance(error, ProblemException)
    _log.log(logging.WARNING if error.status < 500 else logging.ERROR, "%r", error)
    return rendered(error)


def _http_error(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """Starlette's HTTPException, as connexion answers it, with the request id."""
    assert isinstance(error, HTTPException)
    _log.log(logging.WARNING if error.status_code < 500 else logging.ERROR, "%r", error)
    return render(
        error.status_code,
        HTTPStatus(error.status_code).phrase,
        error.detail,
        headers=dict(error.headers or {}),
    )


def _unexpected(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
    """An error nothing expected: logged once, with its traceback, and answered 500."""
    _log.error("%r", error, exc_info=error)
    return rendered(InternalServerError())


def install(app: ConnexionMiddleware, metrics: Metrics | None) -> None:
    """Registers the answers to errors that are not problems already."""

    def domain_problem(_request: ConnexionRequest, error: Exception) -> ConnexionResponse:
        if metrics and isinstance(error, StorageUnavailable):
            metrics.database_unavailable.inc()
        return _domain_problem(error)

    app.add_error_handler(ProblemException, _raised)
    app.add_error_handler(HTTPException, _http_error)
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(DomainError, domain_problem)
    app.add_error_handler(OAuthProblem, _unauthorized)
    app.add_error_handler(ClientDisconnect, _client_left)
