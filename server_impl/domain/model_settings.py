"""The models of a conversation the rules take and give, with model_settings as given.

connexion has checked model_settings against the spec's union of providers (ModelSettings in
openapi.yaml) before a handler runs. The generated models would then re-make the value from the
union's classes, and answer it with every field the client left out filled in as null, an
integer temperature turned into a float (1 answered as 1.0), and the fields the spec does not
name dropped. These subclasses keep the JSON object itself, which is stored and answered as the
client sent it (the field's type is not the generated one's, hence mypy's ignores).
"""

from typing import Any

from generated.models import Conversation, ConversationCreate, ConversationUpdate

JsonObject = dict[str, Any]


class ConversationCreateAsGiven(ConversationCreate):
    model_settings: JsonObject | None = None  # type: ignore[assignment]


class ConversationUpdateAsGiven(ConversationUpdate):
    model_settings: JsonObject | None = None  # type: ignore[assignment]


class ConversationAsStored(Conversation):
    model_settings: JsonObject | None  # type: ignore[assignment]
