from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client, RetryPolicy, asend, next_cursor, send
from ...models.conversation import Conversation
from ...models.list_conversations_archive_status import ListConversationsArchiveStatus
from ...models.list_conversations_order import ListConversationsOrder
from ...models.list_conversations_order_by import ListConversationsOrderBy
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    agent_id: str | Unset = UNSET,
    limit: int | Unset = 50,
    after: str | Unset = UNSET,
    summary_search: str | Unset = UNSET,
    order: ListConversationsOrder | Unset = ListConversationsOrder.DESC,
    archive_status: ListConversationsArchiveStatus | Unset = ListConversationsArchiveStatus.UNARCHIVED,
    order_by: ListConversationsOrderBy | Unset = ListConversationsOrderBy.CREATED_AT,
    x_request_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    params: dict[str, Any] = {}

    params["agent_id"] = agent_id

    params["limit"] = limit

    params["after"] = after

    params["summary_search"] = summary_search

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order.value

    params["order"] = json_order

    json_archive_status: str | Unset = UNSET
    if not isinstance(archive_status, Unset):
        json_archive_status = archive_status.value

    params["archive_status"] = json_archive_status

    json_order_by: str | Unset = UNSET
    if not isinstance(order_by, Unset):
        json_order_by = order_by.value

    params["order_by"] = json_order_by

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/conversations/",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | list[Conversation] | None:
    if response.status_code == 200:
        response_200 = []
        _response_200 = response.json()
        for response_200_item_data in _response_200:
            response_200_item = Conversation.from_dict(response_200_item_data)

            response_200.append(response_200_item)

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
) -> Response[Problem | list[Conversation]]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str | Unset = UNSET,
    limit: int | Unset = 50,
    after: str | Unset = UNSET,
    summary_search: str | Unset = UNSET,
    order: ListConversationsOrder | Unset = ListConversationsOrder.DESC,
    archive_status: ListConversationsArchiveStatus | Unset = ListConversationsArchiveStatus.UNARCHIVED,
    order_by: ListConversationsOrderBy | Unset = ListConversationsOrderBy.CREATED_AT,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Response[Problem | list[Conversation]]:
    """List conversations

     Lists conversations, by creation time unless `order_by` says otherwise, newest first
    unless `order=asc`. Pages are cut by keyset pagination. An answer that has a next page
    carries `Link: <…>; rel="next"` (RFC 8288): follow it, or pass its `after`, an opaque
    cursor holding the place of the page's last conversation in the order (with
    `order_by=last_message_at`, its `last_message_at` as the page read it, and its id). A
    walk that follows these links lists every conversation that does not change meanwhile
    exactly once, in order, under every `order_by` and `order`, while others are created,
    updated, archived or deleted, also when the conversation a cursor was taken from moves
    or is deleted; one that changes is listed where it stood when its page was read, and
    again if it moves into the pages still to be read. An answer without `Link` is the last
    page. Deleted conversations are never listed, nor are hidden ones (`hidden` at
    creation), under any `archive_status`; `archive_status` picks unarchived (the default),
    archived or all conversations.

    `after` also takes the `id` of a conversation, as earlier clients send it: the page then
    starts right after that conversation's current place, also once it is deleted. Its
    place in creation order (`created_at`, and `last_run_completion`, which here is the
    same) never changes, so there a bare id continues a walk as a cursor does; with
    `order_by=last_message_at` the place moves with the conversation's `last_message_at`.

    Args:
        agent_id (str | Unset): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        limit (int | Unset):  Default: 50.
        after (str | Unset): A cursor from a Link header (base64url text, a dot, a 22-character
            signature), or the id of a conversation: `conv-` followed by a lowercase UUID4, such as
            conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b.
        summary_search (str | Unset):
        order (ListConversationsOrder | Unset):  Default: ListConversationsOrder.DESC.
        archive_status (ListConversationsArchiveStatus | Unset):  Default:
            ListConversationsArchiveStatus.UNARCHIVED.
        order_by (ListConversationsOrderBy | Unset):  Default:
            ListConversationsOrderBy.CREATED_AT.
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Response[Problem | list[Conversation]]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        limit=limit,
        after=after,
        summary_search=summary_search,
        order=order,
        archive_status=archive_status,
        order_by=order_by,
        x_request_id=x_request_id,
    )

    response = send(client, kwargs, retries=retries, timeout=timeout)

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str | Unset = UNSET,
    limit: int | Unset = 50,
    after: str | Unset = UNSET,
    summary_search: str | Unset = UNSET,
    order: ListConversationsOrder | Unset = ListConversationsOrder.DESC,
    archive_status: ListConversationsArchiveStatus | Unset = ListConversationsArchiveStatus.UNARCHIVED,
    order_by: ListConversationsOrderBy | Unset = ListConversationsOrderBy.CREATED_AT,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> list[Conversation]:
    """List conversations

     Lists conversations, by creation time unless `order_by` says otherwise, newest first
    unless `order=asc`. Pages are cut by keyset pagination. An answer that has a next page
    carries `Link: <…>; rel="next"` (RFC 8288): follow it, or pass its `after`, an opaque
    cursor holding the place of the page's last conversation in the order (with
    `order_by=last_message_at`, its `last_message_at` as the page read it, and its id). A
    walk that follows these links lists every conversation that does not change meanwhile
    exactly once, in order, under every `order_by` and `order`, while others are created,
    updated, archived or deleted, also when the conversation a cursor was taken from moves
    or is deleted; one that changes is listed where it stood when its page was read, and
    again if it moves into the pages still to be read. An answer without `Link` is the last
    page. Deleted conversations are never listed, nor are hidden ones (`hidden` at
    creation), under any `archive_status`; `archive_status` picks unarchived (the default),
    archived or all conversations.

    `after` also takes the `id` of a conversation, as earlier clients send it: the page then
    starts right after that conversation's current place, also once it is deleted. Its
    place in creation order (`created_at`, and `last_run_completion`, which here is the
    same) never changes, so there a bare id continues a walk as a cursor does; with
    `order_by=last_message_at` the place moves with the conversation's `last_message_at`.

    Args:
        agent_id (str | Unset): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        limit (int | Unset):  Default: 50.
        after (str | Unset): A cursor from a Link header (base64url text, a dot, a 22-character
            signature), or the id of a conversation: `conv-` followed by a lowercase UUID4, such as
            conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b.
        summary_search (str | Unset):
        order (ListConversationsOrder | Unset):  Default: ListConversationsOrder.DESC.
        archive_status (ListConversationsArchiveStatus | Unset):  Default:
            ListConversationsArchiveStatus.UNARCHIVED.
        order_by (ListConversationsOrderBy | Unset):  Default:
            ListConversationsOrderBy.CREATED_AT.
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.ApiError: If the answer is not a success: the subclass of its status (errors.NotFoundError, ...), or errors.UnexpectedStatus for an undocumented one.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        list[Conversation]
    """

    response = sync_detailed(
        client=client,
        agent_id=agent_id,
        limit=limit,
        after=after,
        summary_search=summary_search,
        order=order,
        archive_status=archive_status,
        order_by=order_by,
        x_request_id=x_request_id,
        retries=retries,
        timeout=timeout,
    )
    errors.raise_for_status(response)
    return cast(list[Conversation], response.parsed)


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str | Unset = UNSET,
    limit: int | Unset = 50,
    after: str | Unset = UNSET,
    summary_search: str | Unset = UNSET,
    order: ListConversationsOrder | Unset = ListConversationsOrder.DESC,
    archive_status: ListConversationsArchiveStatus | Unset = ListConversationsArchiveStatus.UNARCHIVED,
    order_by: ListConversationsOrderBy | Unset = ListConversationsOrderBy.CREATED_AT,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Response[Problem | list[Conversation]]:
    """List conversations

     Lists conversations, by creation time unless `order_by` says otherwise, newest first
    unless `order=asc`. Pages are cut by keyset pagination. An answer that has a next page
    carries `Link: <…>; rel="next"` (RFC 8288): follow it, or pass its `after`, an opaque
    cursor holding the place of the page's last conversation in the order (with
    `order_by=last_message_at`, its `last_message_at` as the page read it, and its id). A
    walk that follows these links lists every conversation that does not change meanwhile
    exactly once, in order, under every `order_by` and `order`, while others are created,
    updated, archived or deleted, also when the conversation a cursor was taken from moves
    or is deleted; one that changes is listed where it stood when its page was read, and
    again if it moves into the pages still to be read. An answer without `Link` is the last
    page. Deleted conversations are never listed, nor are hidden ones (`hidden` at
    creation), under any `archive_status`; `archive_status` picks unarchived (the default),
    archived or all conversations.

    `after` also takes the `id` of a conversation, as earlier clients send it: the page then
    starts right after that conversation's current place, also once it is deleted. Its
    place in creation order (`created_at`, and `last_run_completion`, which here is the
    same) never changes, so there a bare id continues a walk as a cursor does; with
    `order_by=last_message_at` the place moves with the conversation's `last_message_at`.

    Args:
        agent_id (str | Unset): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        limit (int | Unset):  Default: 50.
        after (str | Unset): A cursor from a Link header (base64url text, a dot, a 22-character
            signature), or the id of a conversation: `conv-` followed by a lowercase UUID4, such as
            conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b.
        summary_search (str | Unset):
        order (ListConversationsOrder | Unset):  Default: ListConversationsOrder.DESC.
        archive_status (ListConversationsArchiveStatus | Unset):  Default:
            ListConversationsArchiveStatus.UNARCHIVED.
        order_by (ListConversationsOrderBy | Unset):  Default:
            ListConversationsOrderBy.CREATED_AT.
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        Response[Problem | list[Conversation]]
    """

    kwargs = _get_kwargs(
        agent_id=agent_id,
        limit=limit,
        after=after,
        summary_search=summary_search,
        order=order,
        archive_status=archive_status,
        order_by=order_by,
        x_request_id=x_request_id,
    )

    response = await asend(client, kwargs, retries=retries, timeout=timeout)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str | Unset = UNSET,
    limit: int | Unset = 50,
    after: str | Unset = UNSET,
    summary_search: str | Unset = UNSET,
    order: ListConversationsOrder | Unset = ListConversationsOrder.DESC,
    archive_status: ListConversationsArchiveStatus | Unset = ListConversationsArchiveStatus.UNARCHIVED,
    order_by: ListConversationsOrderBy | Unset = ListConversationsOrderBy.CREATED_AT,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> list[Conversation]:
    """List conversations

     Lists conversations, by creation time unless `order_by` says otherwise, newest first
    unless `order=asc`. Pages are cut by keyset pagination. An answer that has a next page
    carries `Link: <…>; rel="next"` (RFC 8288): follow it, or pass its `after`, an opaque
    cursor holding the place of the page's last conversation in the order (with
    `order_by=last_message_at`, its `last_message_at` as the page read it, and its id). A
    walk that follows these links lists every conversation that does not change meanwhile
    exactly once, in order, under every `order_by` and `order`, while others are created,
    updated, archived or deleted, also when the conversation a cursor was taken from moves
    or is deleted; one that changes is listed where it stood when its page was read, and
    again if it moves into the pages still to be read. An answer without `Link` is the last
    page. Deleted conversations are never listed, nor are hidden ones (`hidden` at
    creation), under any `archive_status`; `archive_status` picks unarchived (the default),
    archived or all conversations.

    `after` also takes the `id` of a conversation, as earlier clients send it: the page then
    starts right after that conversation's current place, also once it is deleted. Its
    place in creation order (`created_at`, and `last_run_completion`, which here is the
    same) never changes, so there a bare id continues a walk as a cursor does; with
    `order_by=last_message_at` the place moves with the conversation's `last_message_at`.

    Args:
        agent_id (str | Unset): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        limit (int | Unset):  Default: 50.
        after (str | Unset): A cursor from a Link header (base64url text, a dot, a 22-character
            signature), or the id of a conversation: `conv-` followed by a lowercase UUID4, such as
            conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b.
        summary_search (str | Unset):
        order (ListConversationsOrder | Unset):  Default: ListConversationsOrder.DESC.
        archive_status (ListConversationsArchiveStatus | Unset):  Default:
            ListConversationsArchiveStatus.UNARCHIVED.
        order_by (ListConversationsOrderBy | Unset):  Default:
            ListConversationsOrderBy.CREATED_AT.
        x_request_id (str | Unset):
        retries (RetryPolicy | int | Unset): This call's retry policy, or number of retries, instead
            of the client's.
        timeout (httpx.Timeout | float | None | Unset): This call's timeout, instead of the client's.

    Raises:
        errors.ApiError: If the answer is not a success: the subclass of its status (errors.NotFoundError, ...), or errors.UnexpectedStatus for an undocumented one.
        httpx.TimeoutException: If every attempt takes longer than the timeout.
        httpx.TransportError: If every attempt fails to connect or loses its connection.

    Returns:
        list[Conversation]
    """

    response = await asyncio_detailed(
        client=client,
        agent_id=agent_id,
        limit=limit,
        after=after,
        summary_search=summary_search,
        order=order,
        archive_status=archive_status,
        order_by=order_by,
        x_request_id=x_request_id,
        retries=retries,
        timeout=timeout,
    )
    errors.raise_for_status(response)
    return cast(list[Conversation], response.parsed)


def iterate(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str | Unset = UNSET,
    limit: int | Unset = 50,
    after: str | Unset = UNSET,
    summary_search: str | Unset = UNSET,
    order: ListConversationsOrder | Unset = ListConversationsOrder.DESC,
    archive_status: ListConversationsArchiveStatus | Unset = ListConversationsArchiveStatus.UNARCHIVED,
    order_by: ListConversationsOrderBy | Unset = ListConversationsOrderBy.CREATED_AT,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> Iterator[Conversation]:
    """Every Conversation that sync() lists, page by page.

    Takes the arguments of sync(). Each page after the first starts where the answer's
    ``Link: <…>; rel="next"`` says (its ``after``, a cursor holding the place of the page's last
    item), with the same filters; the walk ends at the first answer without one. Each page is
    one call, retried on its own; an error raises, as from sync().
    """
    while True:
        response = sync_detailed(
            client=client,
            agent_id=agent_id,
            limit=limit,
            after=after,
            summary_search=summary_search,
            order=order,
            archive_status=archive_status,
            order_by=order_by,
            x_request_id=x_request_id,
            retries=retries,
            timeout=timeout,
        )
        errors.raise_for_status(response)
        yield from cast(list[Conversation], response.parsed)
        following = next_cursor(response.headers)
        if following is None:
            return
        after = following


async def aiterate(
    *,
    client: AuthenticatedClient | Client,
    agent_id: str | Unset = UNSET,
    limit: int | Unset = 50,
    after: str | Unset = UNSET,
    summary_search: str | Unset = UNSET,
    order: ListConversationsOrder | Unset = ListConversationsOrder.DESC,
    archive_status: ListConversationsArchiveStatus | Unset = ListConversationsArchiveStatus.UNARCHIVED,
    order_by: ListConversationsOrderBy | Unset = ListConversationsOrderBy.CREATED_AT,
    x_request_id: str | Unset = UNSET,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> AsyncIterator[Conversation]:
    """iterate(), asynchronously: every Conversation that asyncio() lists, page by page."""
    while True:
        response = await asyncio_detailed(
            client=client,
            agent_id=agent_id,
            limit=limit,
            after=after,
            summary_search=summary_search,
            order=order,
            archive_status=archive_status,
            order_by=order_by,
            x_request_id=x_request_id,
            retries=retries,
            timeout=timeout,
        )
        errors.raise_for_status(response)
        for item in cast(list[Conversation], response.parsed):
            yield item
        following = next_cursor(response.headers)
        if following is None:
            return
        after = following
