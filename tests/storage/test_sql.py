"""The one description of both engines' SQL: named parameters rendered for each driver."""

import functools
import inspect
import re

from server_impl.storage.conversation_pages import page_query
from server_impl.storage.conversation_rows import ConversationRows
from server_impl.storage.postgres import PostgresStore
from server_impl.storage.sql import Engine, Query, like_pattern
from server_impl.storage.sqlite import SQLITE, SqliteStore
from server_impl.storage.store import SqlStore


def test_named_parameters_become_numbered_once_each_in_order_of_first_use() -> None:
    query = Query("UPDATE t SET a = :a, b = :b WHERE a = :a AND c = CAST(:c AS bigint[])")
    assert query.numbered == "UPDATE t SET a = $1, b = $2 WHERE a = $1 AND c = CAST($3 AS bigint[])"
    assert query.numbered_args({"c": 3, "b": 2, "a": 1, "unused": 4}) == (1, 2, 3)


def test_question_marks_take_a_value_per_use() -> None:
    query = Query("UPDATE t SET a = :a WHERE b = :b AND a <> :a")
    assert query.qmark == "UPDATE t SET a = ? WHERE b = ? AND a <> ?"
    assert query.qmark_args({"a": 1, "b": 2}) == (1, 2, 1)
    assert Query("SELECT 1").qmark_args({}) == ()
    assert Query("SELECT :x").qmark_args({"x": 5}) == (5,)


def test_casts_are_not_parameters() -> None:
    query = Query("SELECT x::text FROM t WHERE y = :y")
    assert query.names == ("y",)
    assert query.numbered == "SELECT x::text FROM t WHERE y = $1"


def test_like_patterns_match_the_text_literally_anywhere() -> None:
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"


def test_each_engine_renders_every_statement_without_leftover_names() -> None:
    stores = (SqliteStore("unused.db"), PostgresStore("postgresql://unused/db"))
    for store in stores:
        statements = [
            name
            for name in dir(type(store))
            if isinstance(
                inspect.getattr_static(type(store), name), Query | functools.cached_property
            )
        ]
        assert {"_get", "_upsert_default", "_claim_idempotency_key", "_api_key_revoked_at"} <= set(
            statements
        )
        for name in statements:
            query = getattr(store, name)
            assert isinstance(query, Query), name
            for rendered in (query.numbered, query.qmark):
                assert re.search(r"(?<![:\w]):[a-z_]", rendered) is None, (name, rendered)
            assert query.qmark.count("?") >= len(query.names), name


def test_a_page_query_is_built_once_per_shape() -> None:
    first = page_query(SQLITE, by_agent=True, after=True, search=True, descending=False)
    again = page_query(SQLITE, by_agent=True, after=True, search=True, descending=False)
    other = page_query(SQLITE, by_agent=False, after=False, search=False, descending=True)
    assert first is again and first is not other
    assert "seq > :seq" in first.text and "ORDER BY seq ASC" in first.text
    assert "agent_id" not in other.text.split("WHERE")[1] and "DESC" in other.text


def test_no_two_aggregates_of_the_store_define_one_name() -> None:
    """SqlStore composes one class per aggregate: a statement or method that two of them named
    alike would be one of them's in both, silently."""
    classes = [*SqlStore.__bases__, ConversationRows, Engine]
    seen: dict[str, str] = {}
    for cls in classes:
        for name in vars(cls):
            if not name.startswith("__") and name != "_abc_impl":  # each ABC's own
                assert name not in seen, (name, seen.get(name), cls.__name__)
                seen[name] = cls.__name__
