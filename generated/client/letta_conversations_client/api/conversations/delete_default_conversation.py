from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, RetryPolicy, asend, send
from ...models.conversation import Conversation
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    agent_id: str,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["agent_id"] = agent_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/conversations/default",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Conversation | Problem | None:
    if response.status_code == 200:
        response_200 = Conversation.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 412:
        response_412 = Problem.from_dict(response.json())

        return response_412

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

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


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Conversation | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Response[Conversation | Problem]:
    """Delete an agent's default conversation

     Soft-deletes the default conversation of the agent named by `agent_id` and returns it
    as it was. The next use of the alias creates a new one.

    Args:
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        if_match (str | Unset):
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Response[Conversation | Problem]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        if_match=if_match,
        x_request_id=x_request_id,
    )

    response = send(client, kwargs, retries=retries, timeout=timeout)

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Conversation:
    """Delete an agent's default conversation

     Soft-deletes the default conversation of the agent named by `agent_id` and returns it
    as it was. The next use of the alias creates a new one.

    Args:
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        if_match (str | Unset):
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.ApiError: If the answer is not a success: the subclass of its status (errors.NotFoundError, ...), or errors.UnexpectedStatus for an undocumented one.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Conversation
    """

    response = sync_detailed(
        client=client,
        agent_id=agent_id,
        if_match=if_match,
        x_request_id=x_request_id,
        retries=retries,
        timeout=timeout,
    )
    errors.raise_for_status(response)
    return cast(Conversation, response.parsed)


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Response[Conversation | Problem]:
    """Delete an agent's default conversation

     Soft-deletes the default conversation of the agent named by `agent_id` and returns it
    as it was. The next use of the alias creates a new one.

    Args:
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        if_match (str | Unset):
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Response[Conversation | Problem]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        if_match=if_match,
        x_request_id=x_request_id,
    )

    response = await asend(client, kwargs, retries=retries, timeout=timeout)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str,
    if_match: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Conversation:
    """Delete an agent's default conversation

     Soft-deletes the default conversation of the agent named by `agent_id` and returns it
    as it was. The next use of the alias creates a new one.

    Args:
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        if_match (str | Unset):
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.ApiError: If the answer is not a success: the subclass of its status (errors.NotFoundError, ...), or errors.UnexpectedStatus for an undocumented one.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Conversation
    """

    response = await asyncio_detailed(
        client=client,
        agent_id=agent_id,
        if_match=if_match,
        x_request_id=x_request_id,
        retries=retries,
        timeout=timeout,
    )
    errors.raise_for_status(response)
    return cast(Conversation, response.parsed)
