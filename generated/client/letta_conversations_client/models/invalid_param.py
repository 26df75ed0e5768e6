from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="InvalidParam")


@_attrs_define
class InvalidParam:
    """One request value that broke the contract.

    Attributes:
        name (str): Where the value is, such as `body.summary` or `query.limit`. Example: body.summary.
        reason (str): What is wrong with it and what is allowed, in JSON's terms (`must be true or false,
            not null`). A value is quoted as JSON writes it, by its first 40 characters at most,
            and a limit is stated: `"xxxxxxxx…" is too long: at most 10000 characters`.
             Example: must be a string or null, not 5.
    """

    name: str
    reason: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        reason = d.pop("reason")

        invalid_param = cls(
            name=name,
            reason=reason,
        )

        invalid_param.additional_properties = d
        return invalid_param

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
