"""ASGI middleware in front of connexion's routing, one concern each."""

from .allowed_methods import AllowedMethods
from .body_limit import BodySizeLimit
from .collection_alias import CollectionWithoutSlash

__all__ = ["AllowedMethods", "BodySizeLimit", "CollectionWithoutSlash"]
