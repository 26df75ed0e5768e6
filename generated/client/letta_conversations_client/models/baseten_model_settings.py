from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.baseten_model_settings_provider_type import BasetenModelSettingsProviderType
from ..types import UNSET, Unset

T = TypeVar("T", bound="BasetenModelSettings")


@_attrs_define
class BasetenModelSettings:
    """Baseten model configuration (OpenAI-compatible). Fields this schema does not name are kept as given.

    Attributes:
        provider_type (BasetenModelSettingsProviderType): The type of the provider, which picks this schema.
        max_output_tokens (int | Unset): The maximum number of tokens the model can generate: a positive integer, at
            most
            100,000,000 (the bound of `context_window_limit`).
             Example: 4096.
        parallel_tool_calls (bool | Unset): Whether to enable parallel tool calling.
        temperature (float | Unset): The temperature of the model, from 0 to 2 (the widest range of the providers; a
            provider may accept less).
             Example: 0.7.
    """

    provider_type: BasetenModelSettingsProviderType
    max_output_tokens: int | Unset = UNSET
    parallel_tool_calls: bool | Unset = UNSET
    temperature: float | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        provider_type = self.provider_type.value

        max_output_tokens = self.max_output_tokens

        parallel_tool_calls = self.parallel_tool_calls

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
        if temperature is not UNSET:
            field_dict["temperature"] = temperature

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        provider_type = BasetenModelSettingsProviderType(d.pop("provider_type"))

        max_output_tokens = d.pop("max_output_tokens", UNSET)

        parallel_tool_calls = d.pop("parallel_tool_calls", UNSET)

        temperature = d.pop("temperature", UNSET)

        baseten_model_settings = cls(
            provider_type=provider_type,
            max_output_tokens=max_output_tokens,
            parallel_tool_calls=parallel_tool_calls,
            temperature=temperature,
        )

        baseten_model_settings.additional_properties = d
        return baseten_model_settings

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
