"""ASGI middleware, one concern each: around connexion (the client behind trusted proxies, the
request message's framing, request ids, observation, /metrics) and in front of its routing
(methods, body size, the collection alias)."""

from .allowed_methods import AllowedMethods
from .body_limit import BodySizeLimit
from .collection_alias import CollectionWithoutSlash
from .forwarded import ForwardedClient
from .framing import RequestFraming
from .metrics_endpoint import MetricsEndpoint
from .observed import Observed
from .request_id import RequestId

__all__ = [
    "AllowedMethods",
    "BodySizeLimit",
    "CollectionWithoutSlash",
    "ForwardedClient",
    "MetricsEndpoint",
    "Observed",
    "RequestFraming",
    "RequestId",
]
