"""summary_search on each engine: the text index of migration 0009 changes what a search costs,
never what it answers (a substring, ASCII case ignored, and on PostgreSQL other letters' case
too; wildcards literal; terms shorter than a trigram included), and the writes that change a
summary or delete a conversation keep it current in their own transaction."""

import itertools
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server_impl.domain.ports import ArchiveStatus, Changes, NewConversation, Page, Store
from server_impl.storage import conversation_pages, postgres, store_for
from server_impl.storage.sql import phrase_query
from server_impl.storage.tuning import Tuning
from server_impl.storage.urls import DatabaseUrl
from tests.storage.test_engines import AGENT, ORG, T0, USER, Scenario, fresh_url, new, run
from tests.support import run_async

__all__ = ["fresh_url", "run"]  # fixtures, used by name

# Few letters, so that random summaries and terms meet often: ASCII and non-ASCII of both
# cases, LIKE's wildcards and escape, FTS5's quote, a space.
ALPHABET = 'aAbéÉ%_\\" '
_numbers = itertools.count(1)


def _ascii_lower(text: str) -> str:
    return text.translate({code: code + 32 for code in range(ord("A"), ord("Z") + 1)})


def holds(engine: str, summary: str | None, term: str) -> bool:
    """Today's rule, in Python: SQLite's LIKE ignores the case of ASCII letters only,
    PostgreSQL's ILIKE (in the test cluster's C.UTF-8) that of every letter."""
    if summary is None:
        return False
    fold = _ascii_lower if engine == "sqlite" else str.lower
    return fold(term) in fold(summary)


def prefer_indexes(url: str) -> None:
    """On PostgreSQL, leaves the planner of this database's new connections the trigram index
    as the one way to find rows short of a scan, which it refuses: the indexes of the lists'
    orders are dropped, and scans disabled. (On a table of a few rows it would read the rows
    of the organization instead; test_query_plans shows it picks the trigram index for a rare
    term once the table is large.)"""
    if DatabaseUrl.parse(url).engine != "postgresql":
        return
    name = urlsplit(url).path.lstrip("/")

    async def alter() -> None:
        connection = await asyncpg.connect(url)
        try:
            orders = await connection.fetch(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'conversations'"
                " AND indexdef NOT LIKE 'CREATE UNIQUE%' AND indexdef NOT LIKE '%gin_trgm_ops%'"
            )
            for row in orders:
                await connection.execute(f'DROP INDEX "{row["indexname"]}"')
            for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
                await connection.execute(f'ALTER DATABASE "{name}" SET {setting} = off')
        finally:
            await connection.close()

    run_async(alter())


async def search(
    store: Store,
    term: str,
    *,
    limit: int = 100,
    organization: str = ORG,
    archive_status: ArchiveStatus = "unarchived",
) -> list[str]:
    page = Page(organization, limit, "asc", summary_search=term, archive_status=archive_status)
    return [conversation["id"] for conversation in await store.list_page(page)]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    summaries=st.lists(st.none() | st.text(ALPHABET, max_size=8), max_size=10),
    terms=st.lists(st.text(ALPHABET, min_size=1, max_size=4), min_size=1, max_size=4),
    limit=st.integers(1, 4),
)
def test_a_search_answers_as_todays_rule_whichever_way_it_reads_the_rows(
    engine: str,
    fresh_url: str,
    run: Callable[[Scenario], None],
    monkeypatch: pytest.MonkeyPatch,
    summaries: list[str | None],
    terms: list[str],
    limit: int,
) -> None:
    prefer_indexes(fresh_url)
    organization = f"org-{next(_numbers)}"

    async def scenario(store: Store) -> None:
        made = []
        for number, summary in enumerate(summaries):
            conversation = await store.insert(
                NewConversation(
                    id=f"conv-{organization}-{number}", organization_id=organization,
                    agent_id=AGENT, summary=summary, created_at=T0 + timedelta(seconds=number),
                    created_by_id=USER,
                )
            )  # fmt: skip
            made.append(conversation.conversation)
        for term in terms:
            expected = [c.id for c in made if holds(engine, c.summary, term)][:limit]
            # 0: straight to the index's candidates; 1 and 3: a walk that fills the page or
            # not, with rows left after it or not; the default walks every row here.
            for scan_first in (0, 1, 3, conversation_pages.SCAN_FIRST):
                monkeypatch.setattr(conversation_pages, "SCAN_FIRST", scan_first)
                found = await search(store, term, limit=limit, organization=organization)
                assert found == expected, (term, scan_first, summaries)

    run(scenario)


SUMMARIES = {
    1: "Quarterly PLANNING notes",
    2: "100% done_ok",
    3: "100 percent doneXok",
    4: 'back\\slash and "quoted" AND NEAR(x) *',
    5: "Ärger über Straße",
    6: "ärger uber strasse",
    7: None,
    8: "ab",
}


@pytest.mark.parametrize(
    ("term", "sqlite", "postgresql"),
    [
        ("planning", [1], [1]),  # case of ASCII letters ignored
        ("0% done_", [2], [2]),  # wildcards literal
        ("%", [2], [2]),
        ("_", [2], [2]),
        ("\\", [4], [4]),
        ("\\sl", [4], [4]),
        ('"quoted"', [4], [4]),  # FTS5's syntax, literal
        ("AND NEAR(", [4], [4]),
        ("*", [4], [4]),
        ("Ärger", [5], [5, 6]),  # other letters' case: ignored on PostgreSQL only
        ("ärger", [6], [5, 6]),
        ("Straße", [5], [5]),  # no folding to two letters
        ("a", [1, 4, 5, 6, 8], [1, 4, 5, 6, 8]),  # shorter than a trigram
        ("b", [4, 5, 6, 8], [4, 5, 6, 8]),
        ("ab", [8], [8]),
        ("ss", [6], [6]),
        ("Ä", [5], [5, 6]),
        ("no such text", [], []),
    ],
)
def test_a_search_finds_substrings_as_before(
    engine: str,
    fresh_url: str,
    run: Callable[[Scenario], None],
    monkeypatch: pytest.MonkeyPatch,
    term: str,
    sqlite: list[int],
    postgresql: list[int],
) -> None:
    prefer_indexes(fresh_url)
    expected = [new(number).id for number in (sqlite if engine == "sqlite" else postgresql)]

    async def scenario(store: Store) -> None:
        for number, summary in SUMMARIES.items():
            await store.insert(new(number, summary=summary))
        assert await search(store, term) == expected
        monkeypatch.setattr(conversation_pages, "SCAN_FIRST", 0)
        assert await search(store, term) == expected

    run(scenario)


def indexed(url: str, term: str) -> set[int]:
    """SQLite: the seqs whose summary the FTS table says holds term (before LIKE's check)."""
    db = sqlite3.connect(DatabaseUrl.parse(url).sqlite_path)
    try:
        rows = db.execute(
            "SELECT rowid FROM conversation_summaries WHERE conversation_summaries MATCH ?",
            (phrase_query(term),),
        ).fetchall()
    finally:
        db.close()
    return {row[0] for row in rows}


def test_changed_cleared_and_deleted_summaries_are_found_as_they_now_are(
    engine: str,
    fresh_url: str,
    run: Callable[[Scenario], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prefer_indexes(fresh_url)
    monkeypatch.setattr(conversation_pages, "SCAN_FIRST", 0)  # the index's answer, not the walk's

    async def scenario(store: Store) -> None:
        async def change(conversation_id: str, summary: str | None) -> None:
            changes = Changes({"summary": summary})
            assert await store.update(
                ORG, conversation_id, changes=changes, updated_at=T0, updated_by_id=USER
            )

        async def change_default(summary: str) -> None:
            await store.upsert_default(
                new(5), changes=Changes({"summary": summary}), updated_at=T0, updated_by_id=USER
            )

        one, two, three, four = (new(n, summary=f"first {n}") for n in (1, 2, 3, 4))
        for conversation in (one, two, three, four):
            await store.insert(conversation)
        await change(one.id, "second")
        await change(two.id, None)
        assert await store.soft_delete(ORG, three.id, T0) is not None
        # An update that leaves the summary as it was (here, only the archive).
        archive = Changes({}, archive=True, archived_at=T0)
        assert await store.update(ORG, four.id, changes=archive, updated_at=T0, updated_by_id=USER)
        assert await search(store, "first") == []
        assert await search(store, "first", archive_status="all") == [four.id]
        assert await search(store, "second") == [one.id]
        await change_default("made default")
        await change_default("changed default")
        assert await search(store, "default") == [new(5).id]
        assert await search(store, "made") == []

    run(scenario)
    if engine == "sqlite":
        # Nothing stale is left for LIKE to sift: the index holds exactly the live summaries.
        assert indexed(fresh_url, "first") == {4}
        assert indexed(fresh_url, "second") == {1}
        assert indexed(fresh_url, "made") == set()
        assert indexed(fresh_url, "default") == {5}


def test_a_conversation_removed_from_the_table_leaves_the_index(
    fresh_url: str, run: Callable[[Scenario], None]
) -> None:
    if DatabaseUrl.parse(fresh_url).engine != "sqlite":
        pytest.skip("PostgreSQL's index is the table's own")

    async def scenario(store: Store) -> None:
        await store.insert(new(1, summary="gone soon"))
        await store.insert(new(2, summary="gone later"))

    run(scenario)
    db = sqlite3.connect(DatabaseUrl.parse(fresh_url).sqlite_path)
    with db:
        db.execute("DELETE FROM conversations WHERE id = ?", (new(1).id,))
    db.close()
    assert indexed(fresh_url, "gone") == {2}


def test_postgresql_plans_each_search_for_its_own_term(postgres_url: str) -> None:
    # A generic plan cannot tell a rare term (read the trigram index) from a common one (walk
    # the page's order): PostgreSQL switches a cached statement to one after five calls if it
    # looks no dearer, and at 10^6 rows a common term then took 240 ms (bench/results.md).
    async def scenario() -> int:
        # Every call on the pool's one connection, whose prepared statements are read below.
        store = store_for(postgres_url, Tuning(postgres_pool_size=1))
        assert isinstance(store, postgres.PostgresStore)
        await store.open()
        try:
            await store.insert(new(1, summary="a rare note"))
            for _ in range(10):
                assert await search(store, "rare") == [new(1).id]
            async with store._acquire() as connection:
                generic: int = await connection.fetchval(
                    "SELECT coalesce(sum(generic_plans), 0) FROM pg_prepared_statements WHERE"
                    " statement LIKE 'SELECT % summary ILIKE %' AND statement NOT LIKE '%pg_%'"
                )
            return generic
        finally:
            await store.close()

    assert run_async(scenario()) == 0
