from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.zai_thinking_type import ZaiThinkingType
from ..types import UNSET, Unset

T = TypeVar("T", bound="ZaiThinking")


@_attrs_define
class ZaiThinking:
    """The thinking configuration for GLM-4.5+ models.

    Attributes:
        type_ (ZaiThinkingType | Unset): Whether thinking is enabled or disabled.
        clear_thinking (bool | Unset): If false, preserved thinking is used (recommended for agents).
    """

    type_: ZaiThinkingType | Unset = UNSET
    clear_thinking: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

        clear_thinking = self.clear_thinking

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if type_ is not UNSET:
            field_dict["type"] = type_
        if clear_thinking is not UNSET:
            field_dict["clear_thinking"] = clear_thinking

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _type_ = d.pop("type", UNSET)
        type_: ZaiThinkingType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = ZaiThinkingType(_type_)

        clear_thinking = d.pop("clear_thinking", UNSET)

        zai_thinking = cls(
            type_=type_,
            clear_thinking=clear_thinking,
        )

        zai_thinking.additional_properties = d
        return zai_thinking

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
