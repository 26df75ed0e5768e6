"""Where a SQLite list page's instructions go, stage by stage, against a GET's: callgrind counts
each stage run in process, repeatable on a noisy machine.

    python -m bench.list_stages [--calls 400] [STAGE ...]

For each stage, the instructions of a process that runs it --calls times less those of one that
runs it not at all, over --calls: the database of bench/instructions.py (60 conversations, a
page of 50 and one more row), SQLite, this checkout. Needs valgrind. The stages are those of
one list page (`GET /v1/conversations/?limit=50`) and, for comparison, a GET's own.
"""

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request

from bench.instructions import _prepare
from server_impl.api.handlers import _next_link, fields_body
from server_impl.domain import keys
from server_impl.domain.conversations import Conversations
from server_impl.domain.cursors import Cursors
from server_impl.domain.ports import Page
from server_impl.storage import migrate, store_for
from server_impl.storage.conversation_pages import page_query
from server_impl.storage.sqlite import SqliteStore

STAGES = {
    "domain_list": "Conversations.list: list_page and the next page's cursor",
    "list_page": "SqlStore.list_page: the share, the hop to a reader, the rows, their fields",
    "hop": "a hop to a reader's thread and back, doing nothing",
    "share": "OrganizationShares.of, taken and given back",
    "fetch": "a reader's execute and fetchall of 51 rows of 16 columns",
    "fields": "SqlStore._fields of 51 rows",
    "body": "fields_body of 50 conversations (orjson)",
    "cursor": "Cursors.encode (HMAC-SHA256)",
    "link": "_next_link (the Link header)",
    "get_row": "GET's row: the lookup on the loop and its fields",
    "get_body": "GET's body: fields_body of one conversation",
}


async def _run(url: str, key: str, conversation: str, stage: str, calls: int) -> None:
    store = store_for(url)
    assert isinstance(store, SqliteStore)
    await store.open()
    try:
        actor = await keys.actor_for(store, key)
        assert actor is not None
        organization = actor.organization_id
        page = Page(organization_id=organization, limit=51, order="desc")
        query = page_query(store.dialect, search=False, by_agent=False, after=False,
                           descending=True)  # fmt: skip
        params = {"organization_id": organization, "agent_id": None, "limit": 51}
        reader = store.readers._all[0]
        rows = reader.read(query, params)
        fields = [store._fields(row) for row in rows]
        loop = asyncio.get_running_loop()
        cursors = Cursors(b"k" * 32)
        conversations = Conversations(store)
        request = Request({"type": "http", "method": "GET", "path": "/v1/conversations/",
                           "query_string": b"limit=50", "headers": []})  # fmt: skip
        known = frozenset({"limit", "after", "order", "agent_id", "summary_search"})
        one = {"id": conversation, "organization_id": organization}
        lookups = store._lookups
        assert lookups is not None

        async def share() -> None:
            async with store.lists.of(organization):
                pass

        work: dict[str, Callable[[], Awaitable[Any] | Any]] = {
            "domain_list": lambda: conversations.list(actor, limit=50, order="desc"),
            "list_page": lambda: store.list_page(page),
            "hop": lambda: loop.run_in_executor(store.readers._threads, lambda: None),
            "share": share,
            "fetch": lambda: reader.read(query, params),
            "fields": lambda: [store._fields(row) for row in rows],
            "body": lambda: fields_body(fields[:50]),
            "cursor": lambda: cursors.encode(organization, "created_at", "desc", conversation),
            "link": lambda: _next_link(request, known, "abc.def"),
            "get_row": lambda: store._fields(lookups.read(store._get, one)[0]),
            "get_body": lambda: fields_body(fields[0]),
        }
        # Once before counting: the first call of each builds caches.
        for call in work.values():
            if asyncio.iscoroutine(done := call()) or isinstance(done, asyncio.Future):
                await done
        for _ in range(calls):
            done = work[stage]()
            if asyncio.iscoroutine(done) or isinstance(done, asyncio.Future):
                await done
    finally:
        await store.close()


def _instructions(url: str, key: str, conversation: str, stage: str, calls: int) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         "-m", "bench.list_stages", "--inside", url, key, conversation, stage, str(calls)],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    collected = re.search(r"Collected : (\d+)", out)
    assert collected is not None, out
    return int(collected[1])


def main() -> int:
    if sys.argv[1:2] == ["--inside"]:
        url, key, conversation, stage, calls = sys.argv[2:]
        asyncio.run(_run(url, key, conversation, stage, int(calls)))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.list_stages")
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("stages", nargs="*", default=list(STAGES), help=", ".join(STAGES))
    args = parser.parse_args()
    unknown = [stage for stage in args.stages if stage not in STAGES]
    if unknown:
        parser.error(f"no such stage: {', '.join(unknown)}")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(url)
        key, conversation = asyncio.run(_prepare(url))
        base = _instructions(url, key, conversation, "none", 0)
        for stage in args.stages:
            total = _instructions(url, key, conversation, stage, args.calls)
            each = (total - base) / args.calls
            print(f"{stage:12} {each / 1000:8,.1f}k  {STAGES[stage]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
