"""The app's middleware, declared once, outermost first, each layer with why it sits there.

A request crosses them in this order after the HTTP protocol (server_impl/ops/protocol/) has
read it. The layers above ``ConnexionMiddleware`` wrap it; those below it connexion builds
itself, from this list, around the ``Dispatcher``, which runs the handler. Several are
connexion's own, in the order of its defaults; the adapted ones take their places
(connexion_adaptations). tests/api/test_stack.py checks that the order declared here is the order
that runs, and that connexion's defaults are all here.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from connexion import ConnexionMiddleware
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.spec import Specification
from starlette.types import ASGIApp

from server_impl.observability.metrics import Metrics, PoolReader
from server_impl.settings import Settings

from .connexion_adaptations import (
    CachingRequestValidationMiddleware,
    DocsOnlySwaggerUI,
    NoSlashRedirectRouting,
)
from .middleware import (
    AllowedMethods,
    BodySizeLimit,
    CollectionWithoutSlash,
    FailedAuthentications,
    FailureBudget,
    ForwardedClient,
    MetricsEndpoint,
    Observed,
    OrganizationInFlight,
    RequestFraming,
    RequestId,
)
from .middleware.metrics_endpoint import PATH as METRICS_PATH
from .parameters import HTTP_METHODS, operations


@dataclass(frozen=True)
class Layer:
    middleware: Callable[..., ASGIApp]
    """Its class, or a partial of it giving its options: called with the app it wraps."""
    why: str
    when: bool = True
    """Whether the settings put it in the stack."""

    @property
    def kind(self) -> type:
        made = self.middleware
        kind = made.func if isinstance(made, partial) else made
        assert isinstance(kind, type)
        return kind


def declared(
    settings: Settings, spec: Specification, metrics: Metrics | None, pool: PoolReader | None
) -> list[Layer]:
    """Every layer, outermost first, for these settings and this spec."""
    base = spec.raw["servers"][0]["url"]
    paths = [base + path for path in spec["paths"]]
    # What /metrics serves on the API's port; nothing when --metrics-port serves them.
    scraped = metrics if settings.metrics_port is None else None
    limited = metrics.limited if metrics else None
    # None: off, and then not built at all.
    failures, in_flight = (
        settings.failed_authentications_per_minute,
        settings.in_flight_per_organization,
    )
    return [
        Layer(
            partial(ForwardedClient, proxies=settings.trusted_networks),
            "The client a trusted proxy names, before anything logs or counts it.",
            when=bool(settings.trusted_proxies),
        ),
        Layer(
            RequestFraming,
            "One Host, chunked alone, and an early answer's unread body: for any path, /metrics"
            " included; outside RequestId, since it holds back the end of an answer.",
        ),
        Layer(RequestId, "Every answer, refusals included, carries the request's id."),
        Layer(
            partial(
                Observed,
                routes={op["operationId"]: base + path for path, _, op in operations(spec)},
                metrics=metrics,
                pool=pool,
                paths={METRICS_PATH: "metrics"} if scraped else {},
            ),
            "The access line and the request metrics, of every answer below.",
        ),
        Layer(
            partial(MetricsEndpoint, metrics=scraped) if scraped else MetricsEndpoint,
            "/metrics beside the API, neither limited nor authenticated.",
            when=scraped is not None,
        ),
        Layer(
            partial(
                FailedAuthentications,
                budget=FailureBudget(failures),
                open_paths=[
                    base + path for path, _, op in operations(spec) if op.get("security") == []
                ],
                refused=limited,
            )
            if failures
            else FailedAuthentications,
            "An address with too many 401s lately is refused before its key is read; absent"
            " when --failed-authentications-per-minute is off.",
            when=failures is not None,
        ),
        Layer(
            ConnexionMiddleware,
            "Routing, security and validation from openapi.yaml: builds the layers below.",
        ),
        Layer(ServerErrorMiddleware, "connexion's: a 500 for an error nothing below answered."),
        Layer(
            partial(CollectionWithoutSlash, collection_paths=paths),
            "A collection the spec declares with a trailing slash, also served without it: the"
            " path is rewritten before anything below reads it.",
        ),
        Layer(ExceptionMiddleware, "connexion's: errors into problems (api/problems/)."),
        Layer(DocsOnlySwaggerUI, "The documentation paths, matched exactly."),
        Layer(
            partial(
                AllowedMethods,
                methods_by_path={
                    base + path: [method for method in item if method in HTTP_METHODS]
                    for path, item in spec["paths"].items()
                },
            ),
            "405 with Allow for a known path's unknown method, before routing.",
        ),
        Layer(
            partial(BodySizeLimit, max_bytes=settings.max_body_bytes),
            "413 past --max-body-bytes, before anything reads a body.",
        ),
        Layer(NoSlashRedirectRouting, "The operation a request names, without redirects."),
        Layer(SecurityMiddleware, "connexion's: the key (connexion_adaptations.bearer)."),
        Layer(
            partial(OrganizationInFlight, limit=in_flight, refused=limited)
            if in_flight
            else OrganizationInFlight,
            "An organization's requests in flight, once security names it; before validation,"
            " so that a refusal costs no more than the key's check. Absent when"
            " --in-flight-per-organization is off.",
            when=in_flight is not None,
        ),
        Layer(CachingRequestValidationMiddleware, "Parameters and body against the spec."),
        Layer(
            ResponseValidationMiddleware,
            "connexion's: answers against the spec, when --validate-responses (the tests).",
        ),
        Layer(LifespanMiddleware, "connexion's: opens and closes the store."),
        Layer(ContextMiddleware, "connexion's: the acting user, for the handlers."),
    ]


def build(
    layers: Sequence[Layer],
    innermost: ASGIApp,
    *,
    connect: Callable[[ConnexionMiddleware], None],
    **connexion_options: Any,
) -> ASGIApp:
    """The app the layers make around innermost; connect gives connexion its API and error
    handlers once it is made."""
    present = [layer for layer in layers if layer.when]
    at = next(n for n, layer in enumerate(present) if layer.middleware is ConnexionMiddleware)
    app: ASGIApp = ConnexionMiddleware(
        innermost,
        middlewares=[layer.middleware for layer in present[at + 1 :]],
        **connexion_options,
    )
    connect(app)
    for layer in reversed(present[:at]):
        app = layer.middleware(app)
    return app
