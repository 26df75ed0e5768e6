"""The SQL toolkit of both engines: statements, dialects, patterns and the primitives each engine
supplies. What is stored and asked is written by aggregate beside it: conversation_rows.py,
conversations.py, conversation_pages.py, idempotency.py, api_keys.py, composed in store.py.

Statements are written with named parameters (``:name``); `Query` renders each once in the
placeholders of each driver (``?`` for sqlite3, ``$1`` for asyncpg), whose positional binding
costs less per call than binding by name. Where the engines' SQL differs, a `Dialect` says how.
"""

import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from server_impl.domain.versions import Versions

Params = Mapping[str, object]
Row = Any
"""A result row, read by column name (sqlite3.Row, asyncpg.Record)."""

_NAMED = re.compile(r"(?<![:\w]):([a-z_]+)")


def _picker(names: Sequence[str]) -> Callable[[Params], tuple[object, ...]]:
    """Reads the named parameters, in order, into a tuple."""
    if not names:
        return lambda _params: ()
    if len(names) == 1:
        name = names[0]
        return lambda params: (params[name],)
    return operator.itemgetter(*names)


class Query:
    """One statement: its text with named parameters, rendered for each driver.

    `qmark` (sqlite3) names a parameter once per use, `numbered` (asyncpg) once per name;
    `qmark_args` and `numbered_args` read the values in their order. `replan`: the best plan
    depends on the values (a search's term), so an engine that caches plans of prepared
    statements must plan this one for each call's values.
    """

    __slots__ = ("names", "numbered", "numbered_args", "qmark", "qmark_args", "replan", "text")

    def __init__(self, text: str, *, replan: bool = False) -> None:
        self.replan = replan
        names: list[str] = []
        uses: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match[1] not in names:
                names.append(match[1])
            return f"${names.index(match[1]) + 1}"

        def qmark(match: re.Match[str]) -> str:
            uses.append(match[1])
            return "?"

        self.text = text
        self.numbered = _NAMED.sub(number, text)
        self.qmark = _NAMED.sub(qmark, text)
        self.names = tuple(names)
        self.numbered_args = _picker(names)
        self.qmark_args = _picker(uses)


@dataclass(frozen=True)
class Dialect:
    """The SQL that differs between engines."""

    version_in: str
    """True when :versions holds the row's version."""
    contains: str
    """The summary matches :pattern, a LIKE pattern escaped with backslashes (like_pattern)."""
    lock_row: str
    """Appended to a SELECT whose row the transaction goes on to change."""
    greatest: str
    """The function giving the greatest of its arguments."""
    last_message_key: str
    """last_message_at, or for none a value before every time: never NULL, so that one range
    bounds a page (the expression indexed by migration 0005)."""
    skip_locked: str
    """Appended to a SELECT of rows to delete: leaves out rows other transactions are
    changing, rather than waiting for them."""
    search_candidates: str = ""
    """If the engine's planner cannot choose between its text index and a page's order by
    itself: a FROM clause joining conversations to the seqs whose summary may contain the
    trigrams of :phrase (a phrase_query), a superset of those that contain it. A search of at
    least TRIGRAM characters then first walks the page's order for SCAN_FIRST rows, and only
    if those do not fill the page reads these candidates (conversation_pages.py)."""


def like_pattern(text: str) -> str:
    """A LIKE pattern matching text anywhere, its wildcards escaped with a backslash."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def phrase_query(text: str) -> str:
    """An FTS5 query matching text as one phrase: every character literal, quotes doubled."""
    return '"' + text.replace('"', '""') + '"'


class Session(Protocol):
    """Statements on one connection of an engine."""

    async def one(self, query: Query, params: Params) -> Row | None: ...

    async def all(self, query: Query, params: Params) -> Sequence[Row]: ...

    async def run(self, query: Query, params: Params) -> None: ...


class Engine(ABC):
    """The primitives each engine module supplies, on which every aggregate's statements run.

    A statement whose text is the same on both engines is a class attribute beside the method
    that runs it; one that takes the dialect's SQL is a cached_property, rendered once per store.
    """

    dialect: Dialect

    @abstractmethod
    async def _one(self, query: Query, params: Params) -> Row | None:
        """The first row of one statement, committed on its own."""

    @abstractmethod
    def _connection(self) -> AbstractAsyncContextManager[Session]:
        """One connection for several statements, each committed on its own."""

    @abstractmethod
    def _transaction(self, *, lock_api_keys: bool = False) -> AbstractAsyncContextManager[Session]:
        """Statements committed together; with lock_api_keys, no other transaction adds an API
        key until this one ends."""

    @abstractmethod
    def _time(self, moment: datetime) -> object:
        """A time as the engine stores it."""

    @abstractmethod
    def _read_time(self, stored: Any) -> datetime: ...

    @abstractmethod
    def _last_message_key(self, moment: datetime | None) -> object:
        """The value of the dialect's last_message_key for a row whose last_message_at is
        moment: exactly what the engine computes for it, so that a place read from a row
        bounds a page as that row's key does."""

    @abstractmethod
    def _versions(self, versions: Versions) -> object:
        """A set of versions as :versions in the dialect's version_in."""
