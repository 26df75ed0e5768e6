from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.invalid_param import InvalidParam


T = TypeVar("T", bound="Problem")


@_attrs_define
class Problem:
    """An RFC 9457 problem detail.

    Attributes:
        type_ (str): A URI reference that identifies the problem type. Example: about:blank.
        title (str): A short summary of the problem type. Example: Not Found.
        status (int): The HTTP status code, a client (4xx) or server (5xx) error. Example: 404.
        detail (str): What went wrong in this occurrence. Example: No conversation
            conv-5b1f3c2e-8a4d-4e6f-9b0a-1c2d3e4f5a6b..
        invalid_params (list[InvalidParam] | Unset): The values that broke the contract (422 only).
        request_id (str | Unset): The request's id, as in its `X-Request-Id` header: quote it when reporting a problem.
            Example: 5f0c6b8e2a7d4c1e9b3f8d2e1a4c7b90.
    """

    type_: str
    title: str
    status: int
    detail: str
    invalid_params: list[InvalidParam] | Unset = UNSET
    request_id: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        title = self.title

        status = self.status

        detail = self.detail

        invalid_params: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.invalid_params, Unset):
            invalid_params = []
            for invalid_params_item_data in self.invalid_params:
                invalid_params_item = invalid_params_item_data.to_dict()
                invalid_params.append(invalid_params_item)

        request_id = self.request_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "title": title,
                "status": status,
                "detail": detail,
            }
        )
        if invalid_params is not UNSET:
            field_dict["invalid_params"] = invalid_params
        if request_id is not UNSET:
            field_dict["request_id"] = request_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.invalid_param import InvalidParam  # noqa: PLC0415

        d = dict(src_dict)
        type_ = d.pop("type")

        title = d.pop("title")

        status = d.pop("status")

        detail = d.pop("detail")

        _invalid_params = d.pop("invalid_params", UNSET)
        invalid_params: list[InvalidParam] | Unset = UNSET
        if _invalid_params is not UNSET:
            invalid_params = []
            for invalid_params_item_data in _invalid_params:
                invalid_params_item = InvalidParam.from_dict(invalid_params_item_data)

                invalid_params.append(invalid_params_item)

        request_id = d.pop("request_id", UNSET)

        problem = cls(
            type_=type_,
            title=title,
            status=status,
            detail=detail,
            invalid_params=invalid_params,
            request_id=request_id,
        )

        problem.additional_properties = d
        return problem

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
