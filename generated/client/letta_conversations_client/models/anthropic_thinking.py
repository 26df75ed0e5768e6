from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.anthropic_thinking_type import AnthropicThinkingType
from ..types import UNSET, Unset

T = TypeVar("T", bound="AnthropicThinking")


@_attrs_define
class AnthropicThinking:
    """The thinking configuration for the model (Anthropic and Kimi Code).

    Attributes:
        type_ (AnthropicThinkingType | Unset): The type of thinking to use.
        budget_tokens (int | Unset): The maximum number of tokens the model can use for extended thinking: 0 to
            100,000,000.
    """

    type_: AnthropicThinkingType | Unset = UNSET
    budget_tokens: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

        budget_tokens = self.budget_tokens

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if type_ is not UNSET:
            field_dict["type"] = type_
        if budget_tokens is not UNSET:
            field_dict["budget_tokens"] = budget_tokens

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _type_ = d.pop("type", UNSET)
        type_: AnthropicThinkingType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = AnthropicThinkingType(_type_)

        budget_tokens = d.pop("budget_tokens", UNSET)

        anthropic_thinking = cls(
            type_=type_,
            budget_tokens=budget_tokens,
        )

        anthropic_thinking.additional_properties = d
        return anthropic_thinking

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
