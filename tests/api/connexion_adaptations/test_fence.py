"""The fence around the connexion adaptations: the release they were written for, and every
connexion internal they use, still there."""

import importlib.metadata

import pytest

from server_impl.api.connexion_adaptations import ADAPTED_FOR, RELIED_ON
from tests.support import missing_internal


def test_the_installed_connexion_is_the_release_the_adaptations_were_written_for() -> None:
    # The adaptations replace connexion internals; another release may have moved them.
    installed = importlib.metadata.version("connexion")
    assert installed == ADAPTED_FOR, (
        f"connexion {installed} is installed, the adaptations were written for {ADAPTED_FOR}. "
        "Before changing ADAPTED_FOR, re-check every adaptation listed in the docstring of "
        "server_impl/api/connexion_adaptations/__init__.py against the new release's source "
        "(and the internals in RELIED_ON)."
    )


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
