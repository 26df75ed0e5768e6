from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, RetryPolicy, asend, send
from ...models.health import Health
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/health",
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Health | Problem | None:
    if response.status_code == 200:
        response_200 = Health.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 431:
        response_431 = Problem.from_dict(response.json())

        return response_431

    if response.status_code == 501:
        response_501 = Problem.from_dict(response.json())

        return response_501

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content, response.headers)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Health | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Response[Health | Problem]:
    """Liveness

     Answers 200 while the server process is up, whatever the database's state, or 503 when the process
    is at its limit of open connections.

    Args:
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Response[Health | Problem]
    """

    kwargs = _get_kwargs(
        x_request_id=x_request_id,
    )

    response = send(client, kwargs, retries=retries, timeout=timeout)

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Health:
    """Liveness

     Answers 200 while the server process is up, whatever the database's state, or 503 when the process
    is at its limit of open connections.

    Args:
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.ApiError: If the answer is not a success: the subclass of its status (errors.NotFoundError, ...), or errors.UnexpectedStatus for an undocumented one.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Health
    """

    response = sync_detailed(
        client=client,
        x_request_id=x_request_id,
        retries=retries,
        timeout=timeout,
    )
    errors.raise_for_status(response)
    return cast(Health, response.parsed)


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Response[Health | Problem]:
    """Liveness

     Answers 200 while the server process is up, whatever the database's state, or 503 when the process
    is at its limit of open connections.

    Args:
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Response[Health | Problem]
    """

    kwargs = _get_kwargs(
        x_request_id=x_request_id,
    )

    response = await asend(client, kwargs, retries=retries, timeout=timeout)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Health:
    """Liveness

     Answers 200 while the server process is up, whatever the database's state, or 503 when the process
    is at its limit of open connections.

    Args:
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.ApiError: If the answer is not a success: the subclass of its status (errors.NotFoundError, ...), or errors.UnexpectedStatus for an undocumented one.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Health
    """

    response = await asyncio_detailed(
        client=client,
        x_request_id=x_request_id,
        retries=retries,
        timeout=timeout,
    )
    errors.raise_for_status(response)
    return cast(Health, response.parsed)
