"""connexion's request validators, answering as this API's error contract says.

connexion answers every failed check with 400. Upstream Letta, and the official SDK's
``UnprocessableEntityError``, use 422 for values that break the schema, keeping 400 for a body
that is not JSON at all. These validators keep connexion's checks and change only the answer:
``parameters`` and ``body`` (which also parses the body once for the handler), both checking
against the spec's schemas as ``schemas`` compiles them, and saying what is wrong as ``reasons``
words it.
"""

from connexion.datastructures import MediaTypeDict
from connexion.validators import VALIDATOR_MAP

from .body import BODY_MAX_DEPTH, NO_BODY, PARSED_BODY, ProblemJSONBodyValidator, parsed_body
from .parameters import ProblemParameterValidator
from .schemas import CompiledSchema

VALIDATORS = {
    "parameter": ProblemParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": ProblemJSONBodyValidator}),
}


__all__ = [
    "BODY_MAX_DEPTH",
    "NO_BODY",
    "PARSED_BODY",
    "VALIDATORS",
    "CompiledSchema",
    "ProblemJSONBodyValidator",
    "ProblemParameterValidator",
    "parsed_body",
]
