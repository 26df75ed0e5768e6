"""Every change this service makes to how connexion 3.3 runs, fenced here.

What each buys, in instructions per request with it and without it, is in bench/results.md
("What each connexion adaptation buys").

Each module holds one adaptation: what it changes in connexion, and why. They lean on
connexion's internals, which change between releases, so ``UPSTREAM`` fingerprints the source
of every connexion or Starlette function they override or copy, as the release named there had
it, and ``RELIED_ON`` lists every other internal they use;
``tests/api/connexion_adaptations/test_fence.py`` fails when the installed releases change one
of those functions or lack one of those internals, and the tests named below pin what each
adaptation does.

- ``dispatch``: a dispatcher replaces connexion's application layer, which re-inspected and
  re-wrapped the handler on every request.
  Reads the routed operation from connexion's ``connexion_routing`` scope extension.
  Pinned by every end-to-end test, and by ``test_dispatch.py``.
- ``request_validation``: request validation prepared once per operation and media type
  instead of per request; the content type read from the raw headers, with a charset after
  "; " read correctly (connexion's helper missed it). Pinned by ``test_request_validation.py``
  and ``tests/e2e/test_bad_input.py`` (415 for charsets other than UTF-8).
- ``validators``: 422 with ``invalid_params`` for values that break the schema, 400 only
  for a body that is not JSON in UTF-8 (connexion answers 400 for all), 415 for a body with a
  content coding (connexion read it as sent); schemas compiled once with jsonschema-rs, which
  also reads a pattern's ``$`` as JSON Schema means it (Python's ``re`` lets a trailing newline
  through); each reason says what is allowed in JSON's terms, quotes at most a short prefix of
  the value as JSON writes it and states the limit broken (jsonschema's message repeats the
  whole value as Python's repr, which went into the answer twice and into the log, and reads
  true and null as True and None); what jsonschema-rs alone refuses is named too; a value
  failing a union (``oneOf``, ``anyOf``) explained by the member it was meant
  for, its discriminator's or the one that is not null-only (jsonschema named the union as a
  whole: ``body.model_settings`` "is not valid under any of the given schemas"); a body nested
  past the spec's depth limit is one 422 naming its member.
  Pinned by ``test_validators.py``, ``tests/api/test_bounds.py``,
  ``tests/api/test_validation_messages.py``,
  ``tests/e2e/test_bad_input.py`` and ``tests/e2e/test_model_settings.py``.
- ``uri_parser``: plain string path parameters passed through connexion's URI parser untouched
  Pinned by ``test_uri_parser.py``.
- ``routing``: no trailing-slash redirects, which Starlette's routers built from the client's
  Host header for any method and without a key; such a path is a 404 problem. A request naming
  a route and one of its methods is matched in one loop over the routes connexion built, not
  through Starlette's Router, Mount and Route. Pinned by
  ``test_routing.py``.
- ``swagger_ui``: Swagger UI's router consulted only for documentation paths, matched exactly
  (no longer with a trailing slash, which only led to such a redirect); the spec files written
  once per root path and replayed, not written anew by every request (the YAML
  took 1.17 s of CPU on the event loop, without a key). Pinned by ``test_swagger_ui.py``.
- ``bearer``: the bearer check given in code rather than as a module path in the spec, called
  without connexion's per-request signature inspection; more than one Authorization header is
  a 400 (connexion read the first). Pinned by ``test_bearer.py`` and
  ``tests/e2e/test_identity.py``.
"""

from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware

from .bearer import bearer_handler
from .dispatch import Dispatcher, Handler
from .request_validation import CachingRequestValidationMiddleware
from .routing import NoSlashRedirectRouting
from .swagger_ui import DocsOnlySwaggerUI
from .uri_parser import StringPathURIParser
from .validators import VALIDATORS

_VALIDATION = "connexion.middleware.request_validation"

UPSTREAM: dict[str, tuple[str, str]] = {
    # Every function an adaptation overrides, and those whose work routing.py does in their
    # place: (release checked against, testbed.upstream fingerprint).
    f"{_VALIDATION}.RequestValidationAPI.make_operation": ("3.3.0", "090e4f6cf72e"),
    f"{_VALIDATION}.RequestValidationOperation.__call__": ("3.3.0", "749768a66b7c"),
    f"{_VALIDATION}.RequestValidationOperation.__init__": ("3.3.0", "785182376ea6"),
    f"{_VALIDATION}.RequestValidationOperation.extract_content_type": ("3.3.0", "9889a63bd1dd"),
    "connexion.middleware.routing.RoutingMiddleware.__call__": ("3.3.0", "250e7638a357"),
    "connexion.middleware.routing.RoutingMiddleware.add_api": ("3.3.0", "017845b6d94c"),
    "connexion.middleware.routing.RoutingOperation.__call__": ("3.3.0", "b36ded781df8"),
    "connexion.middleware.swagger_ui.SwaggerUIMiddleware.__call__": ("3.3.0", "bfd474e66f57"),
    "connexion.middleware.swagger_ui.SwaggerUIMiddleware.__init__": ("3.3.0", "16cd5f369439"),
    "connexion.middleware.swagger_ui.SwaggerUIMiddleware.add_api": ("3.3.0", "79b46ad1dcee"),
    # Kept and replayed: each answer must stay a function of path and root path.
    "connexion.middleware.swagger_ui.SwaggerUIAPI._get_openapi_json": ("3.3.0", "6407faef1f34"),
    "connexion.middleware.swagger_ui.SwaggerUIAPI._get_openapi_yaml": ("3.3.0", "92c76215c6b0"),
    "connexion.middleware.swagger_ui.SwaggerUIAPI._spec_for_prefix": ("3.3.0", "14d94aab976f"),
    "connexion.security.AbstractSecurityHandler._resolve_func": ("3.3.0", "26308b0f027d"),
    "connexion.security.BearerSecurityHandler._get_verify_func": ("3.3.0", "954ef35a7ac0"),
    "connexion.uri_parsing.AbstractURIParser.__init__": ("3.3.0", "f0313f56e14d"),
    "connexion.uri_parsing.OpenAPIURIParser.resolve_path": ("3.3.0", "c966a32f1c3c"),
    "connexion.validators.json.JSONRequestBodyValidator._parse": ("3.3.0", "85ca34eee065"),
    "connexion.validators.json.JSONRequestBodyValidator._validate": ("3.3.0", "9ccb6403a41e"),
    "connexion.validators.parameter.ParameterValidator.validate_parameter": (
        "3.3.0",
        "936d387e2cf1",
    ),
    "starlette.routing.Mount.matches": ("1.10.0", "9130e7cdb6b1"),
    "starlette.routing.Route.matches": ("1.10.0", "e141925f517d"),
}

RELIED_ON: list[tuple[str, str]] = [
    # (connexion object, attribute): methods and class attributes, and instance attributes
    # that the named class's __init__ assigns.
    ("connexion.ConnexionMiddleware", "default_middlewares"),
    (f"{_VALIDATION}.RequestValidationMiddleware", "api_cls"),
    (f"{_VALIDATION}.RequestValidationAPI", "make_operation"),
    (f"{_VALIDATION}.RequestValidationAPI", "self.next_app"),
    (f"{_VALIDATION}.RequestValidationAPI", "self.validator_map"),
    (f"{_VALIDATION}.RequestValidationAPI", "self.strict_validation"),
    (f"{_VALIDATION}.RequestValidationOperation", "self._operation"),
    (f"{_VALIDATION}.RequestValidationOperation", "self._validator_map"),
    (f"{_VALIDATION}.RequestValidationOperation", "validate_mime_type"),
    (f"{_VALIDATION}.RequestValidationOperation", "extract_content_type"),
    (f"{_VALIDATION}.RequestValidationOperation", "self.next_app"),
    (
        f"{_VALIDATION}.RequestValidationOperation",
        "self.strict_validation",
    ),
    (f"{_VALIDATION}.RequestValidationOperation", "security_query_params"),
    ("connexion.operations.AbstractOperation", "parameters"),
    ("connexion.operations.AbstractOperation", "consumes"),
    ("connexion.operations.AbstractOperation", "request_body"),
    ("connexion.utils", "is_nullable"),
    ("connexion.middleware.abstract", "ROUTING_CONTEXT"),
    ("connexion.validators.ParameterValidator", "validate"),
    ("connexion.validators.AbstractRequestBodyValidator", "wrap_receive"),
    ("connexion.operations.AbstractOperation", "self._uri_parser_class"),
    ("connexion.operations.AbstractOperation", "body_schema"),
    ("connexion.operations.AbstractOperation", "body_definition"),
    ("connexion.validators.JSONRequestBodyValidator", "_parse"),
    ("connexion.validators.JSONRequestBodyValidator", "_validate"),
    ("connexion.validators.AbstractRequestBodyValidator", "self._encoding"),
    ("connexion.validators.AbstractRequestBodyValidator", "self._required"),
    ("connexion.validators.AbstractRequestBodyValidator", "self._schema"),
    ("connexion.validators.ParameterValidator", "validate_parameter"),
    ("connexion.uri_parsing.OpenAPIURIParser", "resolve_path"),
    ("connexion.security.BearerSecurityHandler", "_resolve_func"),
    ("connexion.security.BearerSecurityHandler", "_get_verify_func"),
    ("connexion.security.BearerSecurityHandler", "get_auth_header_value"),
    ("connexion.middleware.routing.RoutingMiddleware", "add_api"),
    ("connexion.middleware.routing.RoutingMiddleware", "self.router"),
    ("connexion.middleware.routing.RoutingOperation", "self.operation_id"),
    ("starlette.routing.Mount", "self.path"),
    ("starlette.routing.Mount", "self.path_regex"),
    ("starlette.routing.Route", "self.path_regex"),
    ("starlette.routing.Route", "self.param_convertors"),
    ("starlette.routing.Route", "self.methods"),
    ("starlette.routing.Route", "self.endpoint"),
    ("connexion.middleware.swagger_ui.SwaggerUIMiddleware", "add_api"),
    ("connexion.middleware.swagger_ui.SwaggerUIMiddleware", "self.router"),
    ("connexion.middleware.swagger_ui.SwaggerUIMiddleware", "self.app"),
]

STANDS_IN_FOR: dict[type, type] = {
    DocsOnlySwaggerUI: SwaggerUIMiddleware,
    NoSlashRedirectRouting: RoutingMiddleware,
    CachingRequestValidationMiddleware: RequestValidationMiddleware,
}
"""Each adapted layer, and the one of connexion's default middlewares whose place it takes in
the stack (server_impl/api/stack.py)."""


__all__ = [
    "RELIED_ON",
    "STANDS_IN_FOR",
    "VALIDATORS",
    "CachingRequestValidationMiddleware",
    "Dispatcher",
    "DocsOnlySwaggerUI",
    "Handler",
    "NoSlashRedirectRouting",
    "StringPathURIParser",
    "UPSTREAM",
    "bearer_handler",
]
