"""The models of a conversation the rules take and give, with model_settings as given.

connexion has checked model_settings against the spec's union of providers (ModelSettings in
openapi.yaml) before a handler runs. The generated models would then re-make the value from the
union's classes, and answer it with every field the client left out filled in as null, an
integer temperature turned into a float (1 answered as 1.0), and the fields the spec does not
name dropped. These subclasses keep the JSON object itself, which is stored and answered as the
client sent it (the field's type is not the generated one's, hence mypy's ignores).

What JSON Schema cannot state of model_settings, its size and depth, is bounded here.
"""

from collections.abc import Iterable
from typing import Any

from pydantic_core import to_json

from server_impl._generated.models import Conversation, ConversationCreate, ConversationUpdate

JsonObject = dict[str, Any]


class ConversationCreateAsGiven(ConversationCreate):
    model_settings: JsonObject | None = None  # type: ignore[assignment]


class ConversationUpdateAsGiven(ConversationUpdate):
    model_settings: JsonObject | None = None  # type: ignore[assignment]


class ConversationAsStored(Conversation):
    model_settings: JsonObject | None  # type: ignore[assignment]


MODEL_SETTINGS_MAX_BYTES = 16_384
"""The most model_settings may take as compact JSON in UTF-8, as it is answered: with the
other fields' bounds, what keeps one conversation, and a page of them, a known size."""
MODEL_SETTINGS_MAX_DEPTH = 32
"""The deepest model_settings may nest objects and arrays, itself the first level."""


def model_settings_problem(settings: JsonObject) -> str | None:
    """Why settings exceed a bound (its size, then its depth), or None within them."""
    size = len(to_json(settings))  # the serializer that answers it
    if size > MODEL_SETTINGS_MAX_BYTES:
        return (
            f"takes {size} bytes as compact JSON in UTF-8: at most {MODEL_SETTINGS_MAX_BYTES} bytes"
        )
    if nesting_depth(settings) > MODEL_SETTINGS_MAX_DEPTH:
        return (
            f"nests objects and arrays more than {MODEL_SETTINGS_MAX_DEPTH} levels deep"
            f" (counting itself): at most {MODEL_SETTINGS_MAX_DEPTH}"
        )
    return None


def nesting_depth(value: object) -> int:
    """How deep value nests JSON objects and arrays (a scalar is 0, {} is 1), without
    recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth + 1)
        pending.extend((child, depth + 1) for child in children)
    return deepest
