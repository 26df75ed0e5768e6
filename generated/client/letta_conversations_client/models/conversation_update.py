from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

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


T = TypeVar("T", bound="ConversationUpdate")


@_attrs_define
class ConversationUpdate:
    """A JSON merge-patch of a conversation: a field left out is unchanged, `null` clears it.
    Fields this server does not know are ignored (`hidden` and `archived_at` included).

        Attributes:
            summary (None | str | Unset): A summary of the conversation, at most 10,000 characters, none of them U+0000
                (NUL).
                 Example: Planning the spring release.
            description (None | str | Unset): A description of the conversation, used for search and bootstrap context: at
                most
                10,000 characters, none of them U+0000 (NUL).
                 Example: Dates, owners and risks of the spring release.
            model (None | str | Unset): The model handle for this conversation (overrides the agent's model), in the form
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
                OpenRouterModelSettings | SGLangModelSettings | TogetherModelSettings | Unset | XAIModelSettings |
                ZaiModelSettings): The model settings for this conversation (overrides the agent's model settings):
                left out keeps them, null clears them, an object replaces them whole (it is not
                merged into the stored one).
            context_window_limit (int | None | Unset): The context window limit for this conversation, in tokens (overrides
                the agent's
                context window): a positive integer, at most 100,000,000.
                 Example: 128000.
            last_message_at (datetime.datetime | None | Unset): When the most recent message request was sent to this
                conversation: RFC 3339 with an
                offset, in years 0002 to 9998; stored and answered in UTC. Set as given by an update;
                this server sends no messages, so it never sets it itself.
                 Example: 2026-11-29T10:21:00.654321Z.
            archived (bool | None | Unset): `true` archives the conversation: `archived_at` becomes now, or stays as it was
                if
                it is archived already. `false` unarchives it, clearing `archived_at`; `null`, which
                clears as in every merge-patch, does the same.
    """

    summary: None | str | Unset = UNSET
    description: None | str | Unset = UNSET
    model: None | str | Unset = UNSET
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
        | Unset
        | XAIModelSettings
        | ZaiModelSettings
    ) = UNSET
    context_window_limit: int | None | Unset = UNSET
    last_message_at: datetime.datetime | None | Unset = UNSET
    archived: bool | None | Unset = UNSET
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

        summary: None | str | Unset
        if isinstance(self.summary, Unset):
            summary = UNSET
        else:
            summary = self.summary

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        model: None | str | Unset
        if isinstance(self.model, Unset):
            model = UNSET
        else:
            model = self.model

        model_settings: dict[str, Any] | None | Unset
        if isinstance(self.model_settings, Unset):
            model_settings = UNSET
        elif isinstance(self.model_settings, OpenAIModelSettings):
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

        context_window_limit: int | None | Unset
        if isinstance(self.context_window_limit, Unset):
            context_window_limit = UNSET
        else:
            context_window_limit = self.context_window_limit

        last_message_at: None | str | Unset
        if isinstance(self.last_message_at, Unset):
            last_message_at = UNSET
        elif isinstance(self.last_message_at, datetime.datetime):
            last_message_at = self.last_message_at.isoformat()
        else:
            last_message_at = self.last_message_at

        archived: bool | None | Unset
        if isinstance(self.archived, Unset):
            archived = UNSET
        else:
            archived = self.archived

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if summary is not UNSET:
            field_dict["summary"] = summary
        if description is not UNSET:
            field_dict["description"] = description
        if model is not UNSET:
            field_dict["model"] = model
        if model_settings is not UNSET:
            field_dict["model_settings"] = model_settings
        if context_window_limit is not UNSET:
            field_dict["context_window_limit"] = context_window_limit
        if last_message_at is not UNSET:
            field_dict["last_message_at"] = last_message_at
        if archived is not UNSET:
            field_dict["archived"] = archived

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

        def _parse_summary(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        summary = _parse_summary(d.pop("summary", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_model(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        model = _parse_model(d.pop("model", UNSET))

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
            | Unset
            | XAIModelSettings
            | ZaiModelSettings
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
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
                | Unset
                | XAIModelSettings
                | ZaiModelSettings,
                data,
            )

        model_settings = _parse_model_settings(d.pop("model_settings", UNSET))

        def _parse_context_window_limit(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        context_window_limit = _parse_context_window_limit(d.pop("context_window_limit", UNSET))

        def _parse_last_message_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_last_message_at_type_0 = datetime.datetime.fromisoformat(data)

                return componentsschemas_last_message_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_message_at = _parse_last_message_at(d.pop("last_message_at", UNSET))

        def _parse_archived(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        archived = _parse_archived(d.pop("archived", UNSET))

        conversation_update = cls(
            summary=summary,
            description=description,
            model=model,
            model_settings=model_settings,
            context_window_limit=context_window_limit,
            last_message_at=last_message_at,
            archived=archived,
        )

        conversation_update.additional_properties = d
        return conversation_update

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
