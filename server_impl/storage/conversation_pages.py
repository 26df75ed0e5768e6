"""Pages of conversations: the list statement for each shape a page takes, the place a page
starts after, the search of summaries, and the key that signs cursors."""

import contextlib
import functools
from collections.abc import Callable
from typing import Literal

from server_impl.domain.ports import (
    ArchiveStatus,
    ConversationFields,
    CursorNotFound,
    Page,
    Position,
)

from .conversation_rows import COLUMNS, LIVE, ConversationRows
from .shares import OrganizationShares
from .sql import Dialect, Params, Query, Session, like_pattern, phrase_query

TRIGRAM = 3
"""A text index of trigrams finds only terms at least this long; shorter ones are scanned."""
SCAN_FIRST = 1_000
"""How many rows of a page's order a search reads before it reads the index's candidates: a
term that many conversations hold fills a page within them, before the candidates (half the
organization, say) would have been sorted; a rare one leaves a page short, and then the
candidates are few."""

SearchPlan = Literal["filter", "scan_first", "walked", "candidates"]

# What each archive_status lists; hidden conversations never are. The archived predicate is
# that of the partial indexes of migration 0004, so the planner can use them.
_ARCHIVE_FILTER: dict[ArchiveStatus, str] = {
    "unarchived": "archived_at IS NULL",
    "archived": "archived_at IS NOT NULL",
    "all": "",
}


def page_query(
    dialect: Dialect,
    *,
    by_agent: bool,
    after: bool,
    search: bool | SearchPlan,
    descending: bool,
    archive_status: ArchiveStatus = "unarchived",
    by_last_message: bool = False,
) -> Query:
    """The list statement for the filters a page uses (a handful of shapes, each built once).

    A search (True is "filter") either filters the page's rows as it walks its order, or
    ("scan_first") filters only the first :scan rows of it, or ("candidates") reads the
    dialect's search_candidates; each keeps the LIKE of dialect.contains as the final word.
    "walked" counts the rows that scan_first read (fewer than :scan: all there were).
    """
    plan: SearchPlan | None = "filter" if search is True else search or None
    return _page_query(dialect, by_agent, after, plan, descending, archive_status, by_last_message)


@functools.cache
def _page_query(
    dialect: Dialect,
    by_agent: bool,
    after: bool,
    search: SearchPlan | None,
    descending: bool,
    archive_status: ArchiveStatus,
    by_last_message: bool,
) -> Query:
    where = [LIVE, "NOT hidden"]
    if _ARCHIVE_FILTER[archive_status]:
        where.append(_ARCHIVE_FILTER[archive_status])
    if by_agent:
        where.append("agent_id = :agent_id")
    direction, before = ("DESC", "<") if descending else ("ASC", ">")
    if by_last_message:
        key = dialect.last_message_key
        if after:
            # (key, id) past the cursor's, written so that the first condition bounds the
            # index range on both engines (SQLite does not with a row value of an expression).
            where.append(
                f"{key} {before}= :last_message_key"
                f" AND ({key} {before} :last_message_key OR id {before} :after)"
            )
        order = f"{key} {direction}, id {direction}"
    else:
        if after:
            where.append(f"seq {before} :seq")
        order = f"seq {direction}"
    rows = "conversations"
    if search == "walked":
        walked = f"SELECT 1 FROM conversations WHERE {' AND '.join(where)}"
        return Query(f"SELECT count(*) AS walked FROM ({walked} ORDER BY {order} LIMIT :scan)")
    if search == "scan_first":
        # The first :scan rows in the page's order, then those of them that match.
        walked = f"SELECT seq, {COLUMNS} FROM conversations WHERE {' AND '.join(where)}"
        rows = f"({walked} ORDER BY {order} LIMIT :scan)"
        where = []
    elif search == "candidates":
        rows = dialect.search_candidates
    if search:
        where.append(dialect.contains)
    return Query(
        f"SELECT {COLUMNS} FROM {rows} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit",
        replan=search is not None,
    )


class SqlConversationPages(ConversationRows):
    """list_page and cursor_key of the ConversationStore of server_impl.domain.ports."""

    lists: OrganizationShares
    """How many of one organization's list pages are read at once (shares.py)."""
    scans: OrganizationShares
    """How many of them may be scans: searches that no text index answers (shares.py)."""

    # Deleted rows still anchor a cursor: pages stay put while others delete.
    @functools.cached_property
    def _cursor(self) -> Query:
        return Query(
            f"SELECT seq, {self.dialect.last_message_key} AS last_message_key FROM conversations"
            " WHERE id = :after AND organization_id = :organization_id"
        )

    async def list_page(self, page: Page) -> list[ConversationFields]:
        params: dict[str, object] = {
            "organization_id": page.organization_id,
            "agent_id": page.agent_id,
            "limit": page.limit,
        }
        after = page.after
        by_last_message = page.order_by == "last_message_at"
        term = page.summary_search
        scan = term is not None and (not self.dialect.search_candidates or len(term) < TRIGRAM)
        # A scan waits for its turn before it takes a list's share, so that scans in line
        # never keep the organization's other list pages waiting.
        async with (
            self.scans.of(page.organization_id) if scan else contextlib.nullcontext(),
            self.lists.of(page.organization_id),
            self._connection() as session,
        ):
            if isinstance(after, Position) and by_last_message:
                # The place as the page before read it, wherever its conversation is now.
                params.update(
                    after=after.id, last_message_key=self._last_message_key(after.last_message_at)
                )
            elif after is not None:
                after_id = after.id if isinstance(after, Position) else after
                anchor = await session.one(
                    self._cursor, {"after": after_id, "organization_id": page.organization_id}
                )
                if anchor is None:
                    raise CursorNotFound(after_id)
                # As read: the key goes back to the engine that made it.
                params.update(
                    after=after_id,
                    seq=anchor["seq"],
                    last_message_key=anchor["last_message_key"],
                )
            shape = functools.partial(
                page_query,
                self.dialect,
                by_agent=page.agent_id is not None,
                after=after is not None,
                descending=page.order == "desc",
                archive_status=page.archive_status,
                by_last_message=by_last_message,
            )
            if term is None:
                rows = await session.all(shape(search=False), params)
            elif scan:
                params["pattern"] = like_pattern(term)
                rows = await session.all(shape(search="filter"), params)
            else:
                params.update(pattern=like_pattern(term), scan=SCAN_FIRST)
                rows = await session.all(shape(search="scan_first"), params)
                if len(rows) < page.limit and await self._walked(session, shape, params):
                    params["phrase"] = phrase_query(term)
                    rows = await session.all(shape(search="candidates"), params)
        return [self._fields(row) for row in rows]

    @staticmethod
    async def _walked(session: Session, shape: Callable[..., Query], params: Params) -> bool:
        """Whether a scan_first read SCAN_FIRST rows, so that rows past them may match."""
        walked = await session.one(shape(search="walked"), params)
        assert walked is not None, "a count is one row"
        return bool(walked["walked"] == SCAN_FIRST)

    _cursor_key = Query("SELECT value FROM server_secrets WHERE name = 'list_cursor_key'")

    async def cursor_key(self) -> bytes:
        row = await self._one(self._cursor_key, {})
        assert row is not None, "migration 0008 stores it"
        return bytes.fromhex(row["value"])
