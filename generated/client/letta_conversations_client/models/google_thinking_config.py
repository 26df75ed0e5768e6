from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="GoogleThinkingConfig")


@_attrs_define
class GoogleThinkingConfig:
    """The thinking configuration for the model (Google AI and Vertex).

    Attributes:
        include_thoughts (bool | Unset): Whether to include thoughts in the model's response.
        thinking_budget (int | Unset): The thinking budget for the model, in tokens: -1 lets the model decide, 0 turns
            thinking off; at most 100,000,000.
    """

    include_thoughts: bool | Unset = UNSET
    thinking_budget: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        include_thoughts = self.include_thoughts

        thinking_budget = self.thinking_budget

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if include_thoughts is not UNSET:
            field_dict["include_thoughts"] = include_thoughts
        if thinking_budget is not UNSET:
            field_dict["thinking_budget"] = thinking_budget

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        include_thoughts = d.pop("include_thoughts", UNSET)

        thinking_budget = d.pop("thinking_budget", UNSET)

        google_thinking_config = cls(
            include_thoughts=include_thoughts,
            thinking_budget=thinking_budget,
        )

        google_thinking_config.additional_properties = d
        return google_thinking_config

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
