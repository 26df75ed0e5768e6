"""The fence around the connexion adaptations: the connexion and Starlette functions they
override or stand in for, as they were checked against them, and every other internal they
use, still there."""

from typing import Any

import pytest
from connexion.lifecycle import ConnexionRequest

from server_impl.api.connexion_adaptations import (
    RELIED_ON,
    UPSTREAM,
    StringPathURIParser,
    bearer_handler,
)
from server_impl.api.connexion_adaptations.bearer import token_info
from server_impl.api.connexion_adaptations.request_validation import (
    CachingRequestValidationMiddleware,
    CachingRequestValidationOperation,
)
from server_impl.api.connexion_adaptations.routing import NoSlashRedirectRouting
from server_impl.api.connexion_adaptations.swagger_ui import DocsOnlySwaggerUI
from server_impl.api.connexion_adaptations.validators import (
    ProblemJSONBodyValidator,
    ProblemParameterValidator,
)
from server_impl.domain import keys
from testbed.upstream import changed, overridden
from tests.support import missing_internal


def test_every_function_the_adaptations_override_or_stand_in_for_is_as_it_was_checked() -> None:
    # A release that changes one may carry a fix an adaptation lacks, or call what it
    # overrides differently: the tests named in the package's docstring then say what holds.
    assert changed(UPSTREAM) == []


def test_every_connexion_method_the_adaptations_override_is_fingerprinted() -> None:
    adaptations: list[type] = [
        CachingRequestValidationMiddleware,
        CachingRequestValidationMiddleware.api_cls,
        CachingRequestValidationOperation,
        NoSlashRedirectRouting,
        DocsOnlySwaggerUI,
        StringPathURIParser,
        ProblemParameterValidator,
        ProblemJSONBodyValidator,
        bearer_handler(_no_key),
    ]
    assert overridden(adaptations, "server_impl") <= set(UPSTREAM)


def test_the_token_info_is_read_where_connexions_security_keeps_it() -> None:
    # The access line reads it from the scope's extensions (middleware/observed.py).
    scope: dict[str, Any] = {"type": "http", "headers": [], "extensions": {}}
    ConnexionRequest(scope).context["token_info"] = {"key_id": "key-1"}
    assert token_info(scope["extensions"]) == {"key_id": "key-1"}


async def _no_key(_token: str) -> keys.Refusal:
    return "unknown"


@pytest.mark.parametrize(("dotted", "attribute"), RELIED_ON, ids=[f"{d}:{a}" for d, a in RELIED_ON])
def test_every_connexion_internal_the_adaptations_rely_on_is_there(
    dotted: str, attribute: str
) -> None:
    # An internal gone or renamed would break an adaptation at startup or, worse, per request.
    problem = missing_internal(dotted, attribute)
    assert problem is None, problem


@pytest.mark.parametrize(
    ("dotted", "attribute"),
    [
        ("connexion.no_such_module.Thing", "x"),
        ("connexion.ConnexionMiddleware", "no_such_method"),
        ("connexion.middleware.swagger_ui.SwaggerUIMiddleware", "self.no_such_router"),
        # A prefix of a name __init__ assigns (self.router) is not that name.
        ("connexion.middleware.swagger_ui.SwaggerUIMiddleware", "self.rout"),
        ("connexion.utils.is_nullable", "self.x"),
    ],
)
def test_the_fence_reports_an_internal_that_is_not_there(dotted: str, attribute: str) -> None:
    # Without this, a check that accepted anything would pass the test above.
    assert missing_internal(dotted, attribute) is not None
