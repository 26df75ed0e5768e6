"""ASGI middleware, one concern each: around connexion (the client behind trusted proxies,
request ids, observation, the request message's Host and transfer codings, closing after an
early answer, /metrics) and in front of its routing (methods, body size, the collection alias)."""

from .allowed_methods import AllowedMethods
from .body_limit import BodySizeLimit
from .collection_alias import CollectionWithoutSlash
from .forwarded import ForwardedClient
from .host import OneHost
from .metrics_endpoint import MetricsEndpoint
from .observed import Observed
from .request_id import RequestId
from .transfer_codings import ChunkedOnly
from .unread_body import UnreadBodyCloses

__all__ = [
    "AllowedMethods",
    "BodySizeLimit",
    "ChunkedOnly",
    "CollectionWithoutSlash",
    "ForwardedClient",
    "MetricsEndpoint",
    "Observed",
    "OneHost",
    "RequestId",
    "UnreadBodyCloses",
]
