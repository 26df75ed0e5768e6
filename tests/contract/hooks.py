"""schemathesis hooks (named by `hooks` in schemathesis.toml): what this API documents about
`Idempotency-Key` and list cursors that schemathesis' own checks cannot know. schemathesis.toml
turns off the built-in checks these two replace.

The fuzzer sends the same few short keys with many requests, in every phase:

- A create retried with a key it already used answers the stored answer of the first create
  (openapi.yaml, the IdempotencyKey parameter), even if that conversation has since been
  deleted. In the stateful phase a replay can name a conversation another scenario deleted,
  which `ensure_resource_availability` reports as a created resource not found.
- A key already used for a different request gets 422 naming `header.Idempotency-Key`. Which
  keys were used the schema cannot say, so schemathesis calls such a request valid data, and
  `positive_data_acceptance` reports its 422. Any other 422 of a create stays a failure.

And it makes up list cursors: `after` with a dot, of the shape the schema gives cursors. Only a
cursor the server signed for the caller's organization and order is accepted; any other is a
422 naming `query.after` alone (openapi.yaml, the After parameter), which the schema cannot tell
from a signed one, as it cannot tell a used Idempotency-Key. Any other 422 of a list, or this
one for an `after` without a dot (a conversation id), stays a failure.
"""

import json
from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    positive_data_acceptance,
)

KEY_REUSED = "header.Idempotency-Key"
CURSOR = "query.after"


@schemathesis.check
def ensure_resource_availability_unless_replayed(ctx: Any, response: Any, case: Any) -> bool | None:
    parent = ctx.internals.find_parent(case_id=case.id)
    if parent is not None:
        created = ctx.internals.find_response(case_id=parent.id)
        if created is not None and created.headers.get("idempotent-replayed") == ["true"]:
            return None
    result: bool | None = ensure_resource_availability(ctx, response, case)
    return result


def _refused_naming(case: Any, response: Any, operation_id: str, name: str) -> bool:
    """Whether response is operation_id's 422 naming name, and nothing else."""
    if case.operation.definition.raw.get("operationId") != operation_id:
        return False
    if response.status_code != 422:
        return False
    try:
        problem = json.loads(response.content)
    except ValueError:
        return False
    invalid = problem.get("invalid_params") if isinstance(problem, dict) else None
    return isinstance(invalid, list) and [p.get("name") for p in invalid] == [name]


def refused_for_reused_key(case: Any, response: Any) -> bool:
    """Whether response is a create's 422 for an Idempotency-Key used for another request."""
    return _refused_naming(case, response, "create_conversation", KEY_REUSED)


def refused_made_up_cursor(case: Any, response: Any) -> bool:
    """Whether response is a list's 422 for an `after` of a cursor's shape it did not sign."""
    after = (case.query or {}).get("after")
    return (
        isinstance(after, str)
        and "." in after
        and _refused_naming(case, response, "list_conversations", CURSOR)
    )


@schemathesis.check
def positive_data_acceptance_unless_key_reused(ctx: Any, response: Any, case: Any) -> bool | None:
    if refused_for_reused_key(case, response) or refused_made_up_cursor(case, response):
        return None
    result: bool | None = positive_data_acceptance(ctx, response, case)
    return result
