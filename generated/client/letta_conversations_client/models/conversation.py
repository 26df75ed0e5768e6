from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.anthropic_model_settings import AnthropicModelSettings
    from ..models.azure_model_settings import AzureModelSettings
    from ..models.baseten_model_settings import BasetenModelSettings
    from ..models.bedrock_model_settings import BedrockModelSettings
    from ..models.chat_gpto_auth_model_settings import ChatGPTOAuthModelSettings
    from ..models.deepseek_model_settings import DeepseekModelSettings
    from ..models.google_ai_model_settings import GoogleAIModelSettings
    from ..models.google_vertex_model_settings import GoogleVertexModelSettings
    from ..models.groq_model_settings import GroqModelSettings
    from ..models.moonshot_coding_model_settings import MoonshotCodingModelSettings
    from ..models.moonshot_model_settings import MoonshotModelSettings
    from ..models.open_ai_model_settings import OpenAIModelSettings
    from ..models.open_router_model_settings import OpenRouterModelSettings
    from ..models.sg_lang_model_settings import SGLangModelSettings
    from ..models.together_model_settings import TogetherModelSettings
    from ..models.xai_model_settings import XAIModelSettings
    from ..models.zai_model_settings import ZaiModelSettings


T = TypeVar("T", bound="Conversation")


@_attrs_define
class Conversation:
    """Represents a conversation on an agent for concurrent messaging.

    Attributes:
        id (str): A conversation id, `conv-` followed by a lowercase UUID4. Example:
            conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b.
        agent_id (str): An agent id, `agent-` followed by a lowercase UUID4. Example:
            agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9.
        archived (bool): Whether the conversation is archived. Set by `archived` in an update; the server
            always answers `true` or `false`.
             Example: False.
        archived_at (datetime.datetime | None): When the conversation was archived (UTC, RFC 3339), null while it is
            not. Set by the
            server: the first `archived: true` sets it, later ones keep it, `archived: false`
            (or `null`) clears it.
        context_window_limit (int | None): The context window limit for this conversation, in tokens (overrides the
            agent's
            context window): a positive integer, at most 100,000,000.
             Example: 128000.
        created_at (datetime.datetime | None): The timestamp when the object was created (UTC, RFC 3339). Example:
            2026-11-29T10:20:30.123456Z.
        created_by_id (None | str): The id of the user that made this object. Example:
            user-00000000-0000-4000-8000-000000000000.
        description (None | str): A description of the conversation, used for search and bootstrap context: at most
            10,000 characters, none of them U+0000 (NUL).
             Example: Dates, owners and risks of the spring release.
        in_context_message_ids (list[str] | None): The IDs of in-context messages for the conversation. Example: [].
        isolated_block_ids (list[str] | None): IDs of blocks that are isolated (specific to this conversation,
            overriding agent defaults). Example: [].
        last_message_at (datetime.datetime | None): When the most recent message request was sent to this conversation
            (UTC, RFC 3339),
            as last set by an update; null until then.
             Example: 2026-11-29T10:21:00.654321Z.
        last_updated_by_id (None | str): The id of the user that last updated this object. Example:
            user-00000000-0000-4000-8000-000000000000.
        model (None | str): The model handle for this conversation (overrides the agent's model), in the form
            `provider/model-name`: a provider of ASCII letters, digits, `.`, `_` and `-` starting
            with a letter or digit, a `/`, then a model name of at least one visible ASCII
            character, `!` to `~` (it may contain `/` itself, as in
            `together/meta-llama/Llama-3-70b`); at most 256 characters in all. So a handle holds
            no space, and none of the characters no name of an organization or user may hold
            either: no control or format characters (such as U+0085, U+200B or the bidi override
            U+202E), no line or paragraph separators (U+2028), no private-use or unassigned code
            points. A handle stored before this rule held is answered as stored.
             Example: openai/gpt-4o-mini.
        model_settings (AnthropicModelSettings | AzureModelSettings | BasetenModelSettings | BedrockModelSettings |
            ChatGPTOAuthModelSettings | DeepseekModelSettings | GoogleAIModelSettings | GoogleVertexModelSettings |
            GroqModelSettings | MoonshotCodingModelSettings | MoonshotModelSettings | None | OpenAIModelSettings |
            OpenRouterModelSettings | SGLangModelSettings | TogetherModelSettings | XAIModelSettings | ZaiModelSettings):
            The model settings for this conversation (overrides the agent's model settings),
            as last set; null when unset.
        summary (None | str): A summary of the conversation, at most 10,000 characters, none of them U+0000 (NUL).
             Example: Planning the spring release.
        updated_at (datetime.datetime | None): The timestamp when the object was last updated (UTC, RFC 3339). It never
            goes back while the version in the `ETag` rises, even under concurrent updates. Example:
            2026-11-29T10:21:00.654321Z.
    """

    id: str
    agent_id: str
    archived: bool
    archived_at: datetime.datetime | None
    context_window_limit: int | None
    created_at: datetime.datetime | None
    created_by_id: None | str
    description: None | str
    in_context_message_ids: list[str] | None
    isolated_block_ids: list[str] | None
    last_message_at: datetime.datetime | None
    last_updated_by_id: None | str
    model: None | str
    model_settings: (
        AnthropicModelSettings
        | AzureModelSettings
        | BasetenModelSettings
        | BedrockModelSettings
        | ChatGPTOAuthModelSettings
        | DeepseekModelSettings
        | GoogleAIModelSettings
        | GoogleVertexModelSettings
        | GroqModelSettings
        | MoonshotCodingModelSettings
        | MoonshotModelSettings
        | None
        | OpenAIModelSettings
        | OpenRouterModelSettings
        | SGLangModelSettings
        | TogetherModelSettings
        | XAIModelSettings
        | ZaiModelSettings
    )
    summary: None | str
    updated_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.anthropic_model_settings import AnthropicModelSettings  # noqa: PLC0415
        from ..models.azure_model_settings import AzureModelSettings  # noqa: PLC0415
        from ..models.baseten_model_settings import BasetenModelSettings  # noqa: PLC0415
        from ..models.bedrock_model_settings import BedrockModelSettings  # noqa: PLC0415
        from ..models.chat_gpto_auth_model_settings import ChatGPTOAuthModelSettings  # noqa: PLC0415
        from ..models.deepseek_model_settings import DeepseekModelSettings  # noqa: PLC0415
        from ..models.google_ai_model_settings import GoogleAIModelSettings  # noqa: PLC0415
        from ..models.google_vertex_model_settings import GoogleVertexModelSettings  # noqa: PLC0415
        from ..models.groq_model_settings import GroqModelSettings  # noqa: PLC0415
        from ..models.moonshot_coding_model_settings import MoonshotCodingModelSettings  # noqa: PLC0415
        from ..models.moonshot_model_settings import MoonshotModelSettings  # noqa: PLC0415
        from ..models.open_ai_model_settings import OpenAIModelSettings  # noqa: PLC0415
        from ..models.open_router_model_settings import OpenRouterModelSettings  # noqa: PLC0415
        from ..models.sg_lang_model_settings import SGLangModelSettings  # noqa: PLC0415
        from ..models.together_model_settings import TogetherModelSettings  # noqa: PLC0415
        from ..models.xai_model_settings import XAIModelSettings  # noqa: PLC0415
        from ..models.zai_model_settings import ZaiModelSettings  # noqa: PLC0415

        id = self.id

        agent_id = self.agent_id

        archived = self.archived

        archived_at: None | str
        if isinstance(self.archived_at, datetime.datetime):
            archived_at = self.archived_at.isoformat()
        else:
            archived_at = self.archived_at

        context_window_limit: int | None
        context_window_limit = self.context_window_limit

        created_at: None | str
        if isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        created_by_id: None | str
        created_by_id = self.created_by_id

        description: None | str
        description = self.description

        in_context_message_ids: list[str] | None
        if isinstance(self.in_context_message_ids, list):
            in_context_message_ids = self.in_context_message_ids

        else:
            in_context_message_ids = self.in_context_message_ids

        isolated_block_ids: list[str] | None
        if isinstance(self.isolated_block_ids, list):
            isolated_block_ids = self.isolated_block_ids

        else:
            isolated_block_ids = self.isolated_block_ids

        last_message_at: None | str
        if isinstance(self.last_message_at, datetime.datetime):
            last_message_at = self.last_message_at.isoformat()
        else:
            last_message_at = self.last_message_at

        last_updated_by_id: None | str
        last_updated_by_id = self.last_updated_by_id

        model: None | str
        model = self.model

        model_settings: dict[str, Any] | None
        if isinstance(self.model_settings, OpenAIModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, SGLangModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, AnthropicModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, GoogleAIModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, GoogleVertexModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, AzureModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, XAIModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, MoonshotModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, ZaiModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, MoonshotCodingModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, GroqModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, DeepseekModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, TogetherModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, BedrockModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, BasetenModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, OpenRouterModelSettings):
            model_settings = self.model_settings.to_dict()
        elif isinstance(self.model_settings, ChatGPTOAuthModelSettings):
            model_settings = self.model_settings.to_dict()
        else:
            model_settings = self.model_settings

        summary: None | str
        summary = self.summary

        updated_at: None | str
        if isinstance(self.updated_at, datetime.datetime):
            updated_at = self.updated_at.isoformat()
        else:
            updated_at = self.updated_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "agent_id": agent_id,
                "archived": archived,
                "archived_at": archived_at,
                "context_window_limit": context_window_limit,
                "created_at": created_at,
                "created_by_id": created_by_id,
                "description": description,
                "in_context_message_ids": in_context_message_ids,
                "isolated_block_ids": isolated_block_ids,
                "last_message_at": last_message_at,
                "last_updated_by_id": last_updated_by_id,
                "model": model,
                "model_settings": model_settings,
                "summary": summary,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.anthropic_model_settings import AnthropicModelSettings  # noqa: PLC0415
        from ..models.azure_model_settings import AzureModelSettings  # noqa: PLC0415
        from ..models.baseten_model_settings import BasetenModelSettings  # noqa: PLC0415
        from ..models.bedrock_model_settings import BedrockModelSettings  # noqa: PLC0415
        from ..models.chat_gpto_auth_model_settings import ChatGPTOAuthModelSettings  # noqa: PLC0415
        from ..models.deepseek_model_settings import DeepseekModelSettings  # noqa: PLC0415
        from ..models.google_ai_model_settings import GoogleAIModelSettings  # noqa: PLC0415
        from ..models.google_vertex_model_settings import GoogleVertexModelSettings  # noqa: PLC0415
        from ..models.groq_model_settings import GroqModelSettings  # noqa: PLC0415
        from ..models.moonshot_coding_model_settings import MoonshotCodingModelSettings  # noqa: PLC0415
        from ..models.moonshot_model_settings import MoonshotModelSettings  # noqa: PLC0415
        from ..models.open_ai_model_settings import OpenAIModelSettings  # noqa: PLC0415
        from ..models.open_router_model_settings import OpenRouterModelSettings  # noqa: PLC0415
        from ..models.sg_lang_model_settings import SGLangModelSettings  # noqa: PLC0415
        from ..models.together_model_settings import TogetherModelSettings  # noqa: PLC0415
        from ..models.xai_model_settings import XAIModelSettings  # noqa: PLC0415
        from ..models.zai_model_settings import ZaiModelSettings  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        agent_id = d.pop("agent_id")

        archived = d.pop("archived")

        def _parse_archived_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                archived_at_type_0 = datetime.datetime.fromisoformat(data)

                return archived_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        archived_at = _parse_archived_at(d.pop("archived_at"))

        def _parse_context_window_limit(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        context_window_limit = _parse_context_window_limit(d.pop("context_window_limit"))

        def _parse_created_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_at_type_0 = datetime.datetime.fromisoformat(data)

                return created_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        created_at = _parse_created_at(d.pop("created_at"))

        def _parse_created_by_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        created_by_id = _parse_created_by_id(d.pop("created_by_id"))

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        def _parse_in_context_message_ids(data: object) -> list[str] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                in_context_message_ids_type_0 = cast(list[str], data)

                return in_context_message_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None, data)

        in_context_message_ids = _parse_in_context_message_ids(d.pop("in_context_message_ids"))

        def _parse_isolated_block_ids(data: object) -> list[str] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                isolated_block_ids_type_0 = cast(list[str], data)

                return isolated_block_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None, data)

        isolated_block_ids = _parse_isolated_block_ids(d.pop("isolated_block_ids"))

        def _parse_last_message_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_message_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_message_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_message_at = _parse_last_message_at(d.pop("last_message_at"))

        def _parse_last_updated_by_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_updated_by_id = _parse_last_updated_by_id(d.pop("last_updated_by_id"))

        def _parse_model(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        model = _parse_model(d.pop("model"))

        def _parse_model_settings(
            data: object,
        ) -> (
            AnthropicModelSettings
            | AzureModelSettings
            | BasetenModelSettings
            | BedrockModelSettings
            | ChatGPTOAuthModelSettings
            | DeepseekModelSettings
            | GoogleAIModelSettings
            | GoogleVertexModelSettings
            | GroqModelSettings
            | MoonshotCodingModelSettings
            | MoonshotModelSettings
            | None
            | OpenAIModelSettings
            | OpenRouterModelSettings
            | SGLangModelSettings
            | TogetherModelSettings
            | XAIModelSettings
            | ZaiModelSettings
        ):
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_0 = OpenAIModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_1 = SGLangModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_2 = AnthropicModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_3 = GoogleAIModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_4 = GoogleVertexModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_5 = AzureModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_5
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_6 = XAIModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_6
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_7 = MoonshotModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_7
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_8 = ZaiModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_8
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_9 = MoonshotCodingModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_9
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_10 = GroqModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_10
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_11 = DeepseekModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_11
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_12 = TogetherModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_12
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_13 = BedrockModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_13
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_14 = BasetenModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_14
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_15 = OpenRouterModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_15
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_model_settings_type_16 = ChatGPTOAuthModelSettings.from_dict(data)

                return componentsschemas_model_settings_type_16
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                AnthropicModelSettings
                | AzureModelSettings
                | BasetenModelSettings
                | BedrockModelSettings
                | ChatGPTOAuthModelSettings
                | DeepseekModelSettings
                | GoogleAIModelSettings
                | GoogleVertexModelSettings
                | GroqModelSettings
                | MoonshotCodingModelSettings
                | MoonshotModelSettings
                | None
                | OpenAIModelSettings
                | OpenRouterModelSettings
                | SGLangModelSettings
                | TogetherModelSettings
                | XAIModelSettings
                | ZaiModelSettings,
                data,
            )

        model_settings = _parse_model_settings(d.pop("model_settings"))

        def _parse_summary(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        summary = _parse_summary(d.pop("summary"))

        def _parse_updated_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                updated_at_type_0 = datetime.datetime.fromisoformat(data)

                return updated_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        updated_at = _parse_updated_at(d.pop("updated_at"))

        conversation = cls(
            id=id,
            agent_id=agent_id,
            archived=archived,
            archived_at=archived_at,
            context_window_limit=context_window_limit,
            created_at=created_at,
            created_by_id=created_by_id,
            description=description,
            in_context_message_ids=in_context_message_ids,
            isolated_block_ids=isolated_block_ids,
            last_message_at=last_message_at,
            last_updated_by_id=last_updated_by_id,
            model=model,
            model_settings=model_settings,
            summary=summary,
            updated_at=updated_at,
        )

        conversation.additional_properties = d
        return conversation

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
