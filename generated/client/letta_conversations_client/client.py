import asyncio
import email.utils
import random
import re
import ssl
import time
import uuid
from collections.abc import Mapping
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import httpx
from attrs import define, evolve, field

from .types import UNSET, Unset

# Long enough for any answer of this API, short enough that a dead server is noticed.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

# What an attempt may fail with and still be worth repeating: the server may not have seen the
# request, or its answer was lost on the way.
_RETRIED_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@define(frozen=True)
class RetryPolicy:
    """When a request is sent again, and how long to wait before.

    A request is retried after a connection error, a timeout, or an answer of 408, 409, 429 or
    any 5xx, at most ``max_retries`` times (0 turns retries off). A ``POST`` is retried only when
    it carries an ``Idempotency-Key`` (create sends one of its own), so that a retry can never
    make a second resource. The wait before retry ``n`` (from 0) is
    ``min(initial_delay * 2**n, max_delay)``, less a random part of up to ``jitter`` of it; an
    answer's ``Retry-After`` (seconds or an HTTP date) replaces it, capped at
    ``max_retry_after``.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0

    def retries_status(self, status_code: int) -> bool:
        """Whether an answer with this status is worth sending the request again for."""
        return status_code in (408, 409, 429) or status_code >= 500

    def wait(self, retry: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry ``retry`` (from 0), after ``response`` if there was one."""
        retry_after = _retry_after(response.headers) if response is not None else None
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        backoff = min(self.initial_delay * 2.0**retry, self.max_delay)
        return backoff * (1 - self.jitter * random.random())


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        date = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, date.timestamp() - time.time())


def _policy(retries: "RetryPolicy | int") -> RetryPolicy:
    return retries if isinstance(retries, RetryPolicy) else RetryPolicy(max_retries=retries)


# One link-value of a Link header (RFC 8288): its target, then its parameters, each of which
# _PARAMETER reads in turn (name, quoted value, token value).
_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[^;,=\s]+\s*(?:=\s*(?:"[^"]*"|[^;,\s]*))?)*)')
_PARAMETER = re.compile(r';\s*([^;,=\s]+)\s*(?:=\s*(?:"([^"]*)"|([^;,\s]*)))?')


def next_cursor(headers: Mapping[str, str]) -> str | None:
    """The ``after`` of the answer's ``Link: <…>; rel="next"``: where the next page starts, as
    the server says; None on the last page (no such link)."""
    for link in _LINK.finditer(headers.get("link", "")):
        for parameter in _PARAMETER.finditer(link[2]):
            relations = (parameter[2] or parameter[3] or "").lower().split()
            if parameter[1].lower() == "rel" and "next" in relations:
                after = parse_qs(urlsplit(link[1]).query).get("after")
                return after[-1] if after else None
    return None


def new_idempotency_key() -> str:
    """A fresh ``Idempotency-Key``: one per call, kept by each of its retries."""
    return str(uuid.uuid4())


@define
class Client:
    """A class for keeping track of data related to the API

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request

        ``headers``: A dictionary of headers to be sent with every request

        ``timeout``: The maximum amount of a time a request can take (``DEFAULT_TIMEOUT``: 30 s, 5 s to
        connect; ``None``: no limit). An attempt that exceeds it is retried; API functions raise
        httpx.TimeoutException once retries are spent. Each API function also takes ``timeout=``.

        ``retries``: A RetryPolicy, or the number of retries for the default one (0: none). Each API
        function also takes ``retries=``.

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers")
    _timeout: httpx.Timeout | float | None = field(default=DEFAULT_TIMEOUT, kw_only=True, alias="timeout")
    retries: RetryPolicy | int = field(factory=RetryPolicy, kw_only=True)
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    def with_headers(self, headers: dict[str, str]) -> "Client":
        """Get a new client matching this one with additional headers"""
        if self._client is not None:
            self._client.headers.update(headers)
        if self._async_client is not None:
            self._async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> "Client":
        """Get a new client matching this one with additional cookies"""
        if self._client is not None:
            self._client.cookies.update(cookies)
        if self._async_client is not None:
            self._async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout | float | None) -> "Client":
        """Get a new client matching this one with a new timeout configuration"""
        if self._client is not None:
            self._client.timeout = timeout
        if self._async_client is not None:
            self._async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def with_retries(self, retries: RetryPolicy | int) -> "Client":
        """Get a new client matching this one with another retry policy (0: no retries)"""
        return evolve(self, retries=retries)

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._async_client

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)


@define
class AuthenticatedClient:
    """A Client which has been authenticated for use on secured endpoints

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request

        ``headers``: A dictionary of headers to be sent with every request

        ``timeout``: The maximum amount of a time a request can take (``DEFAULT_TIMEOUT``: 30 s, 5 s to
        connect; ``None``: no limit). An attempt that exceeds it is retried; API functions raise
        httpx.TimeoutException once retries are spent. Each API function also takes ``timeout=``.

        ``retries``: A RetryPolicy, or the number of retries for the default one (0: none). Each API
        function also takes ``retries=``.

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
        token: The token to use for authentication
        prefix: The prefix to use for the Authorization header
        auth_header_name: The name of the Authorization header
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers")
    _timeout: httpx.Timeout | float | None = field(default=DEFAULT_TIMEOUT, kw_only=True, alias="timeout")
    retries: RetryPolicy | int = field(factory=RetryPolicy, kw_only=True)
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    token: str
    prefix: str = "Bearer"
    auth_header_name: str = "Authorization"

    def with_headers(self, headers: dict[str, str]) -> "AuthenticatedClient":
        """Get a new client matching this one with additional headers"""
        if self._client is not None:
            self._client.headers.update(headers)
        if self._async_client is not None:
            self._async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> "AuthenticatedClient":
        """Get a new client matching this one with additional cookies"""
        if self._client is not None:
            self._client.cookies.update(cookies)
        if self._async_client is not None:
            self._async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout | float | None) -> "AuthenticatedClient":
        """Get a new client matching this one with a new timeout configuration"""
        if self._client is not None:
            self._client.timeout = timeout
        if self._async_client is not None:
            self._async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def with_retries(self, retries: RetryPolicy | int) -> "AuthenticatedClient":
        """Get a new client matching this one with another retry policy (0: no retries)"""
        return evolve(self, retries=retries)

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._headers[self.auth_header_name] = f"{self.prefix} {self.token}" if self.prefix else self.token
            self._client = httpx.Client(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._headers[self.auth_header_name] = f"{self.prefix} {self.token}" if self.prefix else self.token
            self._async_client = httpx.AsyncClient(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._async_client

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)


def _may_retry(request: Mapping[str, Any]) -> bool:
    if str(request["method"]).upper() != "POST":
        return True
    return any(name.lower() == "idempotency-key" for name in request.get("headers", {}))


def _wait_before_retry(
    policy: RetryPolicy, may_retry: bool, retry: int, response: httpx.Response | None
) -> float | None:
    """Seconds to wait before sending again; None when the request is not to be sent again."""
    if not may_retry or retry >= policy.max_retries:
        return None
    if response is not None and not policy.retries_status(response.status_code):
        return None
    return policy.wait(retry, response)


def _options(timeout: httpx.Timeout | float | None | Unset) -> dict[str, Any]:
    return {} if isinstance(timeout, Unset) else {"timeout": timeout}


def send(
    client: Client | AuthenticatedClient,
    request: dict[str, Any],
    *,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> httpx.Response:
    """Sends request (httpx.Client.request's arguments) with client, retrying as its policy, or
    ``retries``, says. Returns the last answer; raises the last error once retries are spent."""
    policy = _policy(client.retries if isinstance(retries, Unset) else retries)
    may_retry = _may_retry(request)
    http = client.get_httpx_client()
    retry = 0
    while True:
        try:
            response = http.request(**request, **_options(timeout))
        except _RETRIED_ERRORS:
            wait = _wait_before_retry(policy, may_retry, retry, None)
            if wait is None:
                raise
        else:
            wait = _wait_before_retry(policy, may_retry, retry, response)
            if wait is None:
                return response
        time.sleep(wait)
        retry += 1


async def asend(
    client: Client | AuthenticatedClient,
    request: dict[str, Any],
    *,
    retries: RetryPolicy | int | Unset = UNSET,
    timeout: httpx.Timeout | float | None | Unset = UNSET,
) -> httpx.Response:
    """send, with client's httpx.AsyncClient."""
    policy = _policy(client.retries if isinstance(retries, Unset) else retries)
    may_retry = _may_retry(request)
    http = client.get_async_httpx_client()
    retry = 0
    while True:
        try:
            response = await http.request(**request, **_options(timeout))
        except _RETRIED_ERRORS:
            wait = _wait_before_retry(policy, may_retry, retry, None)
            if wait is None:
                raise
        else:
            wait = _wait_before_retry(policy, may_retry, retry, response)
            if wait is None:
                return response
        await asyncio.sleep(wait)
        retry += 1
