from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.anthropic_effort_type_1 import AnthropicEffortType1
from ..models.anthropic_effort_type_2_type_1 import AnthropicEffortType2Type1
from ..models.anthropic_effort_type_3_type_1 import AnthropicEffortType3Type1
from ..models.anthropic_model_settings_provider_type import AnthropicModelSettingsProviderType
from ..models.verbosity_type_1 import VerbosityType1
from ..models.verbosity_type_2_type_1 import VerbosityType2Type1
from ..models.verbosity_type_3_type_1 import VerbosityType3Type1
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.anthropic_thinking import AnthropicThinking
    from ..models.json_object_response_format import JsonObjectResponseFormat
    from ..models.json_schema_response_format import JsonSchemaResponseFormat
    from ..models.text_response_format import TextResponseFormat


T = TypeVar("T", bound="AnthropicModelSettings")


@_attrs_define
class AnthropicModelSettings:
    """Anthropic model configuration. Fields this schema does not name are kept as given.

    Attributes:
        provider_type (AnthropicModelSettingsProviderType): The type of the provider, which picks this schema.
        effort (AnthropicEffortType1 | AnthropicEffortType2Type1 | AnthropicEffortType3Type1 | None | Unset): Effort
            level for supported Anthropic models (controls token spending); `xhigh` and
            `max` are available on Opus 4.6+.
        max_output_tokens (int | Unset): The maximum number of tokens the model can generate: a positive integer, at
            most
            100,000,000 (the bound of `context_window_limit`).
             Example: 4096.
        parallel_tool_calls (bool | Unset): Whether to enable parallel tool calling.
        response_format (JsonObjectResponseFormat | JsonSchemaResponseFormat | None | TextResponseFormat | Unset): The
            response format for the model, or null for none.
        strict (bool | Unset): Enable strict mode for tool calling: when true, tool outputs are guaranteed to match
            JSON schemas.
        temperature (float | Unset): The temperature of the model, from 0 to 2 (the widest range of the providers; a
            provider may accept less).
             Example: 0.7.
        thinking (AnthropicThinking | Unset): The thinking configuration for the model (Anthropic and Kimi Code).
        verbosity (None | Unset | VerbosityType1 | VerbosityType2Type1 | VerbosityType3Type1): Soft control for how
            verbose model output should be.
    """

    provider_type: AnthropicModelSettingsProviderType
    effort: AnthropicEffortType1 | AnthropicEffortType2Type1 | AnthropicEffortType3Type1 | None | Unset = UNSET
    max_output_tokens: int | Unset = UNSET
    parallel_tool_calls: bool | Unset = UNSET
    response_format: JsonObjectResponseFormat | JsonSchemaResponseFormat | None | TextResponseFormat | Unset = UNSET
    strict: bool | Unset = UNSET
    temperature: float | Unset = UNSET
    thinking: AnthropicThinking | Unset = UNSET
    verbosity: None | Unset | VerbosityType1 | VerbosityType2Type1 | VerbosityType3Type1 = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.json_object_response_format import JsonObjectResponseFormat  # noqa: PLC0415
        from ..models.json_schema_response_format import JsonSchemaResponseFormat  # noqa: PLC0415
        from ..models.text_response_format import TextResponseFormat  # noqa: PLC0415

        provider_type = self.provider_type.value

        effort: None | str | Unset
        if isinstance(self.effort, Unset):
            effort = UNSET
        elif isinstance(self.effort, AnthropicEffortType1):
            effort = self.effort.value
        elif isinstance(self.effort, AnthropicEffortType2Type1):
            effort = self.effort.value
        elif isinstance(self.effort, AnthropicEffortType3Type1):
            effort = self.effort.value
        else:
            effort = self.effort

        max_output_tokens = self.max_output_tokens

        parallel_tool_calls = self.parallel_tool_calls

        response_format: dict[str, Any] | None | Unset
        if isinstance(self.response_format, Unset):
            response_format = UNSET
        elif isinstance(self.response_format, TextResponseFormat):
            response_format = self.response_format.to_dict()
        elif isinstance(self.response_format, JsonSchemaResponseFormat):
            response_format = self.response_format.to_dict()
        elif isinstance(self.response_format, JsonObjectResponseFormat):
            response_format = self.response_format.to_dict()
        else:
            response_format = self.response_format

        strict = self.strict

        temperature = self.temperature

        thinking: dict[str, Any] | Unset = UNSET
        if not isinstance(self.thinking, Unset):
            thinking = self.thinking.to_dict()

        verbosity: None | str | Unset
        if isinstance(self.verbosity, Unset):
            verbosity = UNSET
        elif isinstance(self.verbosity, VerbosityType1):
            verbosity = self.verbosity.value
        elif isinstance(self.verbosity, VerbosityType2Type1):
            verbosity = self.verbosity.value
        elif isinstance(self.verbosity, VerbosityType3Type1):
            verbosity = self.verbosity.value
        else:
            verbosity = self.verbosity

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "provider_type": provider_type,
            }
        )
        if effort is not UNSET:
            field_dict["effort"] = effort
        if max_output_tokens is not UNSET:
            field_dict["max_output_tokens"] = max_output_tokens
        if parallel_tool_calls is not UNSET:
            field_dict["parallel_tool_calls"] = parallel_tool_calls
        if response_format is not UNSET:
            field_dict["response_format"] = response_format
        if strict is not UNSET:
            field_dict["strict"] = strict
        if temperature is not UNSET:
            field_dict["temperature"] = temperature
        if thinking is not UNSET:
            field_dict["thinking"] = thinking
        if verbosity is not UNSET:
            field_dict["verbosity"] = verbosity

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.anthropic_thinking import AnthropicThinking  # noqa: PLC0415
        from ..models.json_object_response_format import JsonObjectResponseFormat  # noqa: PLC0415
        from ..models.json_schema_response_format import JsonSchemaResponseFormat  # noqa: PLC0415
        from ..models.text_response_format import TextResponseFormat  # noqa: PLC0415

        d = dict(src_dict)
        provider_type = AnthropicModelSettingsProviderType(d.pop("provider_type"))

        def _parse_effort(
            data: object,
        ) -> AnthropicEffortType1 | AnthropicEffortType2Type1 | AnthropicEffortType3Type1 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_anthropic_effort_type_1 = AnthropicEffortType1(data)

                return componentsschemas_anthropic_effort_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_anthropic_effort_type_2_type_1 = AnthropicEffortType2Type1(data)

                return componentsschemas_anthropic_effort_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_anthropic_effort_type_3_type_1 = AnthropicEffortType3Type1(data)

                return componentsschemas_anthropic_effort_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                AnthropicEffortType1 | AnthropicEffortType2Type1 | AnthropicEffortType3Type1 | None | Unset, data
            )

        effort = _parse_effort(d.pop("effort", UNSET))

        max_output_tokens = d.pop("max_output_tokens", UNSET)

        parallel_tool_calls = d.pop("parallel_tool_calls", UNSET)

        def _parse_response_format(
            data: object,
        ) -> JsonObjectResponseFormat | JsonSchemaResponseFormat | None | TextResponseFormat | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_response_format_type_0 = TextResponseFormat.from_dict(data)

                return componentsschemas_response_format_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_response_format_type_1 = JsonSchemaResponseFormat.from_dict(data)

                return componentsschemas_response_format_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_response_format_type_2 = JsonObjectResponseFormat.from_dict(data)

                return componentsschemas_response_format_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JsonObjectResponseFormat | JsonSchemaResponseFormat | None | TextResponseFormat | Unset, data)

        response_format = _parse_response_format(d.pop("response_format", UNSET))

        strict = d.pop("strict", UNSET)

        temperature = d.pop("temperature", UNSET)

        _thinking = d.pop("thinking", UNSET)
        thinking: AnthropicThinking | Unset
        if isinstance(_thinking, Unset):
            thinking = UNSET
        else:
            thinking = AnthropicThinking.from_dict(_thinking)

        def _parse_verbosity(data: object) -> None | Unset | VerbosityType1 | VerbosityType2Type1 | VerbosityType3Type1:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_verbosity_type_1 = VerbosityType1(data)

                return componentsschemas_verbosity_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_verbosity_type_2_type_1 = VerbosityType2Type1(data)

                return componentsschemas_verbosity_type_2_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_verbosity_type_3_type_1 = VerbosityType3Type1(data)

                return componentsschemas_verbosity_type_3_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | VerbosityType1 | VerbosityType2Type1 | VerbosityType3Type1, data)

        verbosity = _parse_verbosity(d.pop("verbosity", UNSET))

        anthropic_model_settings = cls(
            provider_type=provider_type,
            effort=effort,
            max_output_tokens=max_output_tokens,
            parallel_tool_calls=parallel_tool_calls,
            response_format=response_format,
            strict=strict,
            temperature=temperature,
            thinking=thinking,
            verbosity=verbosity,
        )

        anthropic_model_settings.additional_properties = d
        return anthropic_model_settings

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
