"""connexion's parameter validator, answering a parameter that breaks its schema (or a required
one missing) with a 422 naming it as ``<where>.<name>``, where connexion answered 400."""

from typing import Any

from connexion.validators import ParameterValidator

from server_impl.api.problems import InvalidParams

from .schemas import compiled


class ProblemParameterValidator(ParameterValidator):
    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> None:
        name = f"{parameter_type}.{param['name']}"
        if value is None:
            if param.get("required"):
                raise InvalidParams(name, "is required")
            return
        error = compiled(param["schema"]).first_error(value)
        if error is not None:
            raise InvalidParams(name, error[1])
