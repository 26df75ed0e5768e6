"""Every shape of list page is read through an index in the page's order, starting at the
cursor: no sort and no walk over the rows before it, so a deep page costs what the first does
(`make bench --big` measures it at 10^6 rows). What the planners make of the queries of
conversation_pages.py with the indexes of the migrations, on both engines."""

import asyncio
import itertools
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import pytest

from server_impl.domain.ports import ArchiveStatus
from server_impl.storage.conversation_pages import SCAN_FIRST, SearchPlan, page_query
from server_impl.storage.postgres import POSTGRES
from server_impl.storage.sql import Query, like_pattern, phrase_query
from server_impl.storage.sqlite import SQLITE
from tests.support import ENGINES

SHAPES = list(
    itertools.product(
        [False, True],  # by_agent
        ["unarchived", "archived", "all"],
        [False, True],  # descending
        [False, True],  # by_last_message
    )
)
PARAMS = {
    "organization_id": "org-1",
    "agent_id": "agent-1",
    "after": "conv-1",
    "seq": 10,
    "limit": 50,
}


def expected_index(by_agent: bool, archive_status: str, by_last_message: bool) -> str:
    archived = "archived_" if archive_status == "archived" else ""
    if by_last_message:
        return f"conversations_{archived}by_{'agent_' if by_agent else ''}last_message"
    if archived:
        return f"conversations_archived{'_by_agent' if by_agent else ''}"
    return f"conversations_by_{'agent' if by_agent else 'organization'}"


def label(shape: tuple[bool, str, bool, bool]) -> str:
    by_agent, status, descending, by_message = shape
    return "-".join(
        [
            "agent" if by_agent else "org",
            status,
            "desc" if descending else "asc",
            "last_message" if by_message else "created",
        ]
    )


@pytest.fixture(scope="module")
def sqlite_url(new_database: Callable[[str], str]) -> str:
    if "sqlite" not in ENGINES:
        pytest.skip("SQLite is not among CONVERSATIONS_TEST_ENGINES")
    return new_database("sqlite")


@pytest.fixture(scope="module")
def postgresql_url(new_database: Callable[[str], str]) -> str:
    if "postgresql" not in ENGINES:
        pytest.skip("PostgreSQL is not among CONVERSATIONS_TEST_ENGINES")
    return new_database("postgresql")


@pytest.mark.parametrize("shape", SHAPES, ids=map(label, SHAPES))
def test_sqlite_reads_each_page_from_its_index_from_the_cursor_on(
    sqlite_url: str, shape: tuple[bool, ArchiveStatus, bool, bool]
) -> None:
    by_agent, status, descending, by_message = shape
    query = page_query(
        SQLITE,
        by_agent=by_agent, after=True, search=False, descending=descending,
        archive_status=status, by_last_message=by_message,
    )  # fmt: skip
    params = {**PARAMS, "last_message_key": "2026-01-01T00:00:00.000000+00:00"}
    db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        rows = db.execute(f"EXPLAIN QUERY PLAN {query.qmark}", query.qmark_args(params))
        plan = " | ".join(row[3] for row in rows)
    finally:
        db.close()
    index = expected_index(by_agent, status, by_message)
    assert f"USING INDEX {index} (" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
    # The cursor bounds the range searched, not a filter over every row before it.
    assert ("<expr>" if by_message else "seq") in plan.split(f"{index} (")[1], plan


@pytest.mark.parametrize("shape", SHAPES, ids=map(label, SHAPES))
def test_postgresql_reads_each_page_from_its_index_from_the_cursor_on(
    postgresql_url: str, shape: tuple[bool, ArchiveStatus, bool, bool]
) -> None:
    by_agent, status, descending, by_message = shape
    query: Query = page_query(
        POSTGRES,
        by_agent=by_agent, after=True, search=False, descending=descending,
        archive_status=status, by_last_message=by_message,
    )  # fmt: skip
    params = {**PARAMS, "last_message_key": datetime(2026, 1, 1, tzinfo=UTC)}

    async def explain() -> str:
        connection = await asyncpg.connect(postgresql_url)
        try:
            # On an empty table any plan is cheap: refuse the alternatives to an ordered index
            # scan, so that the plan shows whether the index can serve the page at all.
            await connection.execute(
                "SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off"
            )
            rows = await connection.fetch(f"EXPLAIN {query.numbered}", *query.numbered_args(params))
            return " | ".join(row[0] for row in rows)
        finally:
            await connection.close()

    plan = asyncio.run(explain())
    index = expected_index(by_agent, status, by_message)
    assert f"using {index} on conversations" in plan, plan
    assert "Sort" not in plan, plan
    key = "COALESCE(last_message_at" if by_message else "seq"
    assert "Index Cond" in plan and key in plan.split("Index Cond")[1].split("|")[0], plan


@pytest.mark.parametrize("shape", SHAPES, ids=map(label, SHAPES))
def test_sqlite_searches_walk_the_pages_index_then_read_the_text_index_candidates(
    sqlite_url: str, shape: tuple[bool, ArchiveStatus, bool, bool]
) -> None:
    by_agent, status, descending, by_message = shape
    params = {
        **PARAMS,
        "last_message_key": "2026-01-01T00:00:00.000000+00:00",
        "pattern": like_pattern("planning"),
        "phrase": phrase_query("planning"),
        "scan": SCAN_FIRST,
    }

    def plan(search: SearchPlan) -> str:
        query = page_query(
        SQLITE,
            by_agent=by_agent, after=True, search=search, descending=descending,
            archive_status=status, by_last_message=by_message,
        )  # fmt: skip
        db = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
        try:
            rows = db.execute(f"EXPLAIN QUERY PLAN {query.qmark}", query.qmark_args(params))
            return " | ".join(row[3] for row in rows)
        finally:
            db.close()

    index = expected_index(by_agent, status, by_message)
    for walk in ("scan_first", "walked"):
        assert f"USING INDEX {index} (" in plan(walk), plan(walk)
    candidates = plan("candidates").split(" | ")
    # The FTS5 table first (its candidates), each then found by its seq: no walk of the page.
    assert candidates[0].startswith("SCAN conversation_summaries VIRTUAL TABLE INDEX"), candidates
    assert candidates[1] == "SEARCH conversations USING INTEGER PRIMARY KEY (rowid=?)", candidates


@pytest.fixture(scope="module")
def searched_postgresql_url(new_database: Callable[[str], str]) -> str:
    """A PostgreSQL database of 20,000 conversations in org-1, analyzed: every other one's
    summary holds 'common', one holds 'rare'."""
    if "postgresql" not in ENGINES:
        pytest.skip("PostgreSQL is not among CONVERSATIONS_TEST_ENGINES")
    url = new_database("postgresql")

    async def fill() -> None:
        connection = await asyncpg.connect(url)
        try:
            await connection.execute(
                "INSERT INTO conversations (id, organization_id, agent_id, summary, created_at,"
                " created_by_id, updated_at, last_updated_by_id)"
                " SELECT 'conv-' || n, 'org-1', 'agent-' || (n % 10), 'note ' || md5(n::text)"
                " || CASE WHEN n % 2 = 0 THEN ' common' ELSE '' END"
                " || CASE WHEN n = 7777 THEN ' rare' ELSE '' END, now(), 'u', now(), 'u'"
                " FROM generate_series(1, 20000) AS n"
            )
            await connection.execute("ANALYZE conversations")
        finally:
            await connection.close()

    asyncio.run(fill())
    return url


# The shapes whose rows at this size are many (an agent's 2,000 or the empty archive are read
# as well through their own index; at 10^6, bench/search.py shows each shape's plan is quick).
MANY = [shape for shape in SHAPES if not shape[0] and shape[1] != "archived"]


@pytest.mark.parametrize("shape", MANY, ids=map(label, MANY))
def test_postgresql_searches_a_rare_term_in_the_trigram_index_and_a_common_one_in_order(
    searched_postgresql_url: str, shape: tuple[bool, ArchiveStatus, bool, bool]
) -> None:
    by_agent, status, descending, by_message = shape
    query: Query = page_query(
        POSTGRES,
        by_agent=by_agent, after=False, search=True, descending=descending,
        archive_status=status, by_last_message=by_message,
    )  # fmt: skip

    async def explain(term: str) -> str:
        connection = await asyncpg.connect(searched_postgresql_url)
        try:
            params = {**PARAMS, "agent_id": "agent-7", "pattern": like_pattern(term)}
            rows = await connection.fetch(f"EXPLAIN {query.numbered}", *query.numbered_args(params))
            return " | ".join(row[0] for row in rows)
        finally:
            await connection.close()

    rare, common = asyncio.run(explain("rare")), asyncio.run(explain("common"))
    assert "Bitmap Index Scan on conversations_summary_trigrams" in rare, rare
    # A walk of an index in the page's order (with one organization, the primary key's can
    # be it), stopping at the page's end.
    assert "trigrams" not in common and "Sort" not in common, common
    assert common.split(" | ")[1].lstrip(" ->").startswith("Index Scan"), common
