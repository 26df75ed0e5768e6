from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, RetryPolicy, asend, new_idempotency_key, send
from ...models.conversation import Conversation
from ...models.conversation_create import ConversationCreate
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: ConversationCreate | Unset = UNSET,
    agent_id: str,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["agent_id"] = agent_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/conversations/",
        "params": params,
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

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

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

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
    body: ConversationCreate | Unset = UNSET,
    agent_id: str,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Response[Conversation | Problem]:
    """Create a conversation

     Creates a new conversation on the agent named by `agent_id`. The body is optional;
    fields it does not know are ignored, so newer clients can send optional fields this
    server does not implement.

    With an `Idempotency-Key`, a create whose answer was lost (a timeout, a dropped
    connection) can be retried safely: the retry with the same key and the same request
    gets the first answer again, with `Idempotent-Replayed: true`, and creates nothing.
    See the parameter for the rules.

    Args:
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        idempotency_key (str | Unset):
        x_request_id (str | Unset):
        body (ConversationCreate | Unset): The fields of a new conversation. Fields this server
            does not know are ignored.
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

    if isinstance(idempotency_key, Unset):
        idempotency_key = new_idempotency_key()

    kwargs = _get_kwargs(
        body=body,
        agent_id=agent_id,
        idempotency_key=idempotency_key,
        x_request_id=x_request_id,
    )

    response = send(client, kwargs, retries=retries, timeout=timeout)

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: ConversationCreate | Unset = UNSET,
    agent_id: str,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Conversation:
    """Create a conversation

     Creates a new conversation on the agent named by `agent_id`. The body is optional;
    fields it does not know are ignored, so newer clients can send optional fields this
    server does not implement.

    With an `Idempotency-Key`, a create whose answer was lost (a timeout, a dropped
    connection) can be retried safely: the retry with the same key and the same request
    gets the first answer again, with `Idempotent-Replayed: true`, and creates nothing.
    See the parameter for the rules.

    Args:
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        idempotency_key (str | Unset):
        x_request_id (str | Unset):
        body (ConversationCreate | Unset): The fields of a new conversation. Fields this server
            does not know are ignored.
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
        body=body,
        agent_id=agent_id,
        idempotency_key=idempotency_key,
        x_request_id=x_request_id,
        retries=retries,
        timeout=timeout,
    )
    errors.raise_for_status(response)
    return cast(Conversation, response.parsed)


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ConversationCreate | Unset = UNSET,
    agent_id: str,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Response[Conversation | Problem]:
    """Create a conversation

     Creates a new conversation on the agent named by `agent_id`. The body is optional;
    fields it does not know are ignored, so newer clients can send optional fields this
    server does not implement.

    With an `Idempotency-Key`, a create whose answer was lost (a timeout, a dropped
    connection) can be retried safely: the retry with the same key and the same request
    gets the first answer again, with `Idempotent-Replayed: true`, and creates nothing.
    See the parameter for the rules.

    Args:
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        idempotency_key (str | Unset):
        x_request_id (str | Unset):
        body (ConversationCreate | Unset): The fields of a new conversation. Fields this server
            does not know are ignored.
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

    if isinstance(idempotency_key, Unset):
        idempotency_key = new_idempotency_key()

    kwargs = _get_kwargs(
        body=body,
        agent_id=agent_id,
        idempotency_key=idempotency_key,
        x_request_id=x_request_id,
    )

    response = await asend(client, kwargs, retries=retries, timeout=timeout)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ConversationCreate | Unset = UNSET,
    agent_id: str,
    idempotency_key: str | Unset = UNSET,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Conversation:
    """Create a conversation

     Creates a new conversation on the agent named by `agent_id`. The body is optional;
    fields it does not know are ignored, so newer clients can send optional fields this
    server does not implement.

    With an `Idempotency-Key`, a create whose answer was lost (a timeout, a dropped
    connection) can be retried safely: the retry with the same key and the same request
    gets the first answer again, with `Idempotent-Replayed: true`, and creates nothing.
    See the parameter for the rules.

    Args:
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        idempotency_key (str | Unset):
        x_request_id (str | Unset):
        body (ConversationCreate | Unset): The fields of a new conversation. Fields this server
            does not know are ignored.
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
        body=body,
        agent_id=agent_id,
        idempotency_key=idempotency_key,
        x_request_id=x_request_id,
        retries=retries,
        timeout=timeout,
    )
    errors.raise_for_status(response)
    return cast(Conversation, response.parsed)
