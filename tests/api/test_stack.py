"""The middleware stack: the order declared in server_impl/api/stack.py is the order that runs,
connexion's defaults are all in it, and CONTRIBUTING's path from socket to statement follows it."""

import functools
import re
from pathlib import Path
from typing import Any

import pytest
from connexion import ConnexionMiddleware
from connexion.spec import Specification

from server_impl.api import stack
from server_impl.api.app import SPEC_PATH, new_metrics
from server_impl.api.connexion_adaptations import STANDS_IN_FOR, Dispatcher
from server_impl.api.middleware import FailedAuthentications, OrganizationInFlight
from server_impl.settings import Settings
from server_impl.storage import store_for
from tests.support import in_process

CONTRIBUTING = Path(__file__).parents[2] / "CONTRIBUTING.md"


def running(app: Any) -> list[type]:
    """The layers a request crosses, outermost first, read from the app as built."""
    kinds = []
    while not isinstance(app, Dispatcher):
        kinds.append(type(app))
        if isinstance(app, ConnexionMiddleware):
            # connexion's own list of the apps it built, outermost first, its app last.
            return kinds + [type(layer) for layer in app.middleware_stack or []]
        app = app.app
    return kinds


@functools.cache
def _spec() -> Specification:
    return Specification.load(SPEC_PATH)


def declared(**settings: Any) -> list[type]:
    """The layers stack.py declares for these settings, outermost first, then the dispatcher."""
    spec = _spec()
    metrics = new_metrics(spec) if settings.get("metrics", True) else None
    layers = stack.declared(Settings(**settings), spec, metrics, None)
    return [layer.kind for layer in layers if layer.when] + [Dispatcher]


LIMITS_OFF = {"in_flight_per_organization": "off", "failed_authentications_per_minute": "off"}


@pytest.mark.parametrize(
    "settings",
    [{}, {"trusted_proxies": "*"}, {"metrics": False}, {"metrics_port": 9100}, LIMITS_OFF],
    ids=["defaults", "behind-a-proxy", "no-metrics", "metrics-on-their-own-port", "limits-off"],
)
def test_the_declared_order_is_the_order_a_request_crosses(
    sqlite_url: str, settings: dict[str, Any]
) -> None:
    with in_process(store_for(sqlite_url), **settings) as client:
        assert client.get("/health").status_code == 200  # connexion builds its layers now
        assert running(client.app) == declared(**settings)


def test_a_cap_that_is_off_is_not_in_the_stack_at_all() -> None:
    # Not a layer that passes every request on: one that is not built costs nothing.
    caps = {OrganizationInFlight, FailedAuthentications}
    assert caps <= set(declared())
    assert not caps & set(declared(**LIMITS_OFF))
    assert [kind for kind in declared() if kind not in caps] == declared(**LIMITS_OFF)


def test_every_default_layer_of_connexion_is_declared_in_connexions_order() -> None:
    # A release that adds, drops or reorders one fails here, not silently in production.
    inside = declared()[declared().index(ConnexionMiddleware) + 1 : -1]
    defaults = set(ConnexionMiddleware.default_middlewares)
    connexions = [STANDS_IN_FOR.get(kind, kind) for kind in inside]
    assert [kind for kind in connexions if kind in defaults] == list(
        ConnexionMiddleware.default_middlewares
    )


def test_contributing_lists_the_layers_in_the_declared_order() -> None:
    section = CONTRIBUTING.read_text().split("## From socket to statement", 1)[1].split("\n## ")[0]
    listed = re.findall(r"^\d+\. `(\w+)`", section, re.M)
    layers = [kind.__name__ for kind in declared(trusted_proxies="*")]
    assert [name for name in listed if name in layers] == layers
