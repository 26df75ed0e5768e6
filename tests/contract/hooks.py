"""schemathesis hooks (named by `hooks` in schemathesis.toml): what this API documents about
`Idempotency-Key` that schemathesis' own checks cannot know. schemathesis.toml turns off the
built-in checks these two replace.

The fuzzer sends the same few short keys with many requests, in every phase:

- A create retried with a key it already used answers the stored answer of the first create
  (openapi.yaml, the IdempotencyKey parameter), even if that conversation has since been
  deleted. In the stateful phase a replay can name a conversation another scenario deleted,
  which `ensure_resource_availability` reports as a created resource not found.
- A key already used for a different request gets 422 naming `header.Idempotency-Key`. Which
  keys were used the schema cannot say, so schemathesis calls such a request valid data, and
  `positive_data_acceptance` reports its 422. Any other 422 of a create stays a failure.
"""

import json
from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    positive_data_acceptance,
)

KEY_REUSED = "header.Idempotency-Key"


@schemathesis.check
def ensure_resource_availability_unless_replayed(ctx: Any, response: Any, case: Any) -> bool | None:
    parent = ctx.internals.find_parent(case_id=case.id)
    if parent is not None:
        created = ctx.internals.find_response(case_id=parent.id)
        if created is not None and created.headers.get("idempotent-replayed") == ["true"]:
            return None
    result: bool | None = ensure_resource_availability(ctx, response, case)
    return result


def refused_for_reused_key(case: Any, response: Any) -> bool:
    """Whether response is a create's 422 for an Idempotency-Key used for another request."""
    if case.operation.definition.raw.get("operationId") != "create_conversation":
        return False
    if response.status_code != 422:
        return False
    try:
        problem = json.loads(response.content)
    except ValueError:
        return False
    invalid = problem.get("invalid_params") if isinstance(problem, dict) else None
    return isinstance(invalid, list) and [p.get("name") for p in invalid] == [KEY_REUSED]


@schemathesis.check
def positive_data_acceptance_unless_key_reused(ctx: Any, response: Any, case: Any) -> bool | None:
    if refused_for_reused_key(case, response):
        return None
    result: bool | None = positive_data_acceptance(ctx, response, case)
    return result
