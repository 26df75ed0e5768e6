"""A client library for accessing Letta Conversations API"""

from .client import DEFAULT_TIMEOUT, AuthenticatedClient, Client, RetryPolicy
from .errors import ApiError

__all__ = (
    "DEFAULT_TIMEOUT",
    "ApiError",
    "AuthenticatedClient",
    "Client",
    "RetryPolicy",
)
