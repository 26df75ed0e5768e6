"""ASGI middleware, one concern each: around connexion (the client behind trusted proxies, the
request message's framing, request ids, observation, /metrics, failed authentications per
address), in front of its routing (methods, body size, the collection alias) and behind its
security (an organization's requests in flight)."""

from .allowed_methods import AllowedMethods
from .body_limit import BodySizeLimit
from .collection_alias import CollectionWithoutSlash
from .failed_authentications import FailedAuthentications, FailureBudget
from .forwarded import ForwardedClient
from .framing import RequestFraming
from .metrics_endpoint import MetricsEndpoint
from .observed import Observed
from .organization_in_flight import OrganizationInFlight
from .request_id import RequestId

__all__ = [
    "AllowedMethods",
    "BodySizeLimit",
    "CollectionWithoutSlash",
    "FailedAuthentications",
    "FailureBudget",
    "ForwardedClient",
    "MetricsEndpoint",
    "Observed",
    "OrganizationInFlight",
    "RequestFraming",
    "RequestId",
]
