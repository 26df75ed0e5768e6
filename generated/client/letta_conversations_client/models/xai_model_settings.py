from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.xai_model_settings_provider_type import XAIModelSettingsProviderType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.json_object_response_format import JsonObjectResponseFormat
    from ..models.json_schema_response_format import JsonSchemaResponseFormat
    from ..models.text_response_format import TextResponseFormat


T = TypeVar("T", bound="XAIModelSettings")


@_attrs_define
class XAIModelSettings:
    """xAI model configuration (OpenAI-compatible). Fields this schema does not name are kept as given.

    Attributes:
        provider_type (XAIModelSettingsProviderType): The type of the provider, which picks this schema.
        max_output_tokens (int | Unset): The maximum number of tokens the model can generate: a positive integer, at
            most
            100,000,000 (the bound of `context_window_limit`).
             Example: 4096.
        parallel_tool_calls (bool | Unset): Whether to enable parallel tool calling.
        response_format (JsonObjectResponseFormat | JsonSchemaResponseFormat | None | TextResponseFormat | Unset): The
            response format for the model, or null for none.
        temperature (float | Unset): The temperature of the model, from 0 to 2 (the widest range of the providers; a
            provider may accept less).
             Example: 0.7.
    """

    provider_type: XAIModelSettingsProviderType
    max_output_tokens: int | Unset = UNSET
    parallel_tool_calls: bool | Unset = UNSET
    response_format: JsonObjectResponseFormat | JsonSchemaResponseFormat | None | TextResponseFormat | Unset = UNSET
    temperature: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.json_object_response_format import JsonObjectResponseFormat  # noqa: PLC0415
        from ..models.json_schema_response_format import JsonSchemaResponseFormat  # noqa: PLC0415
        from ..models.text_response_format import TextResponseFormat  # noqa: PLC0415

        provider_type = self.provider_type.value

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

        temperature = self.temperature

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "provider_type": provider_type,
            }
        )
        if max_output_tokens is not UNSET:
            field_dict["max_output_tokens"] = max_output_tokens
        if parallel_tool_calls is not UNSET:
            field_dict["parallel_tool_calls"] = parallel_tool_calls
        if response_format is not UNSET:
            field_dict["response_format"] = response_format
        if temperature is not UNSET:
            field_dict["temperature"] = temperature

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.json_object_response_format import JsonObjectResponseFormat  # noqa: PLC0415
        from ..models.json_schema_response_format import JsonSchemaResponseFormat  # noqa: PLC0415
        from ..models.text_response_format import TextResponseFormat  # noqa: PLC0415

        d = dict(src_dict)
        provider_type = XAIModelSettingsProviderType(d.pop("provider_type"))

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

        temperature = d.pop("temperature", UNSET)

        xai_model_settings = cls(
            provider_type=provider_type,
            max_output_tokens=max_output_tokens,
            parallel_tool_calls=parallel_tool_calls,
            response_format=response_format,
            temperature=temperature,
        )

        xai_model_settings.additional_properties = d
        return xai_model_settings

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
