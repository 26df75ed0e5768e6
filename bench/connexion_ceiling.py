"""The ceiling of `make bench` under issue 14's constraint: stock connexion serving openapi.yaml,
doing no work of its own.

connexion routes, authenticates (a bearer check that accepts any key without a lookup) and
validates every request against the spec, exactly as a connexion user gets it, and each
handler answers one constant conversation: no statement, no hash, no model, no access line and
no metrics. What it serves per second is the most a server can that lets stock connexion route,
authenticate and validate from openapi.yaml on this machine; this server, which adapts how
connexion runs (server_impl/api/connexion_adaptations/), is compared with it in the same run.
"""

import os
from typing import Any

import orjson
from connexion import AsyncApp
from connexion.resolver import Resolver
from starlette.responses import Response

from server_impl.api.app import SPEC_PATH

# As large as the bench's conversation answered by this server.
ANSWER = orjson.dumps(
    {
        "id": "conv-00000000-0000-4000-8000-000000000000",
        "agent_id": "agent-00000000-0000-4000-8000-000000000000",
        "created_at": "2026-11-30T00:00:00Z",
        "created_by_id": "bench",
        "in_context_message_ids": [],
        "isolated_block_ids": [],
        "last_updated_by_id": "bench",
        "summary": "bench",
        "updated_at": "2026-11-30T00:00:00Z",
        "description": None,
        "model": None,
        "context_window_limit": None,
        "last_message_at": None,
        "archived": False,
        "archived_at": None,
        "model_settings": None,
    }
)


def token_info(token: str) -> dict[str, Any]:
    """Every key is accepted, without a lookup."""
    return {"sub": "bench"}


async def answer(*_args: Any, **_kwargs: Any) -> Response:
    return Response(ANSWER, media_type="application/json", headers={"ETag": 'W/"1"'})


# connexion's own way to name the bearer check of a spec that does not name it.
os.environ["BEARERINFO_FUNC"] = f"{__name__}.token_info"
app = AsyncApp(__name__)
app.add_api(SPEC_PATH, resolver=Resolver(function_resolver=lambda _operation_id: answer))
