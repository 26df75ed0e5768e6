from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.open_ai_reasoning_reasoning_effort import OpenAIReasoningReasoningEffort
from ..types import UNSET, Unset

T = TypeVar("T", bound="OpenAIReasoning")


@_attrs_define
class OpenAIReasoning:
    """The reasoning configuration for the model.

    Attributes:
        reasoning_effort (OpenAIReasoningReasoningEffort | Unset): The reasoning effort to use when generating text with
            reasoning models.
    """

    reasoning_effort: OpenAIReasoningReasoningEffort | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        reasoning_effort: str | Unset = UNSET
        if not isinstance(self.reasoning_effort, Unset):
            reasoning_effort = self.reasoning_effort.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if reasoning_effort is not UNSET:
            field_dict["reasoning_effort"] = reasoning_effort

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _reasoning_effort = d.pop("reasoning_effort", UNSET)
        reasoning_effort: OpenAIReasoningReasoningEffort | Unset
        if isinstance(_reasoning_effort, Unset):
            reasoning_effort = UNSET
        else:
            reasoning_effort = OpenAIReasoningReasoningEffort(_reasoning_effort)

        open_ai_reasoning = cls(
            reasoning_effort=reasoning_effort,
        )

        open_ai_reasoning.additional_properties = d
        return open_ai_reasoning

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
