"""schemathesis hooks (named by `hooks` in schemathesis.toml): what this API documents that
schemathesis' own checks cannot know.

A create retried with an Idempotency-Key it already used answers the stored answer of the first
create (openapi.yaml, the IdempotencyKey parameter), even if that conversation has since been
deleted. In the stateful phase the fuzzer sends the same short keys with the same bodies in
different scenarios, so a replay can name a conversation another scenario deleted, which
`ensure_resource_availability` reports as a created resource not found. This check is that one,
except after a replayed create (`Idempotent-Replayed: true`); schemathesis.toml turns the
built-in off.
"""

from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import ensure_resource_availability


@schemathesis.check
def ensure_resource_availability_unless_replayed(ctx: Any, response: Any, case: Any) -> bool | None:
    parent = ctx.internals.find_parent(case_id=case.id)
    if parent is not None:
        created = ctx.internals.find_response(case_id=parent.id)
        if created is not None and created.headers.get("idempotent-replayed") == ["true"]:
            return None
    result: bool | None = ensure_resource_availability(ctx, response, case)
    return result
