"""List cursors: where the next page starts, as `after` carries it.

A list answer with a next page hands out a cursor (in its `Link: <…>; rel="next"`): the place
of the page's last conversation in the list's order, signed. Under order_by=last_message_at the
place is that conversation's last_message_at as the page read it, with its id (ties): the next
page starts there even if the conversation has since moved, been cleared or been deleted, so a
walk lists every conversation that did not change meanwhile exactly once. Under created_at and
last_run_completion (creation order here) a conversation's place never changes, so its id is
its whole place.

A cursor is opaque to clients and not trusted: it is an HMAC-SHA256 over the organization, the
order it continues (order_by and order) and the place, keyed by a secret every process serving
the database shares (ConversationStore.cursor_key). A cursor that was tampered with, made for
another organization or another order, or that is not one at all, is refused with one message
that says nothing of why. Filters (agent_id, summary_search, archive_status) are not bound: a
place is a place in the order whatever rows a filter leaves out.

`after` may also be a bare conversation id, as Letta's SDK sends (the id of the last item it
got): the page starts right after that conversation's current place (ports.Page).
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta

from .errors import InvalidValue
from .ports import Order, OrderBy, Position

PARAMETER = "query.after"
_FORMAT = 1
"""The version of the payload's layout; a cursor of another one is refused."""
_MAC_BYTES = 16
_SHAPE = re.compile(r"([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{22})")
"""base64url (unpadded) payload, a dot, the 128-bit MAC: what a cursor looks like. fullmatch only,
so nothing (no trailing newline) rides along."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_DOMAIN = b"letta-conversations list cursor\x00"
"""Separates these MACs from any other use the key might ever get."""


class BadCursor(InvalidValue):
    def __init__(self) -> None:
        super().__init__(
            PARAMETER,
            "not a cursor of this list: pass the after of the Link a page of the same order"
            " answered, or the id of a conversation",
        )


def is_bare_id(after: str) -> bool:
    """A conversation id (conv-…), as Letta's SDK sends, rather than a cursor: every cursor has
    a dot, which no id has."""
    return "." not in after


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # one text per payload: no unused bits set
        raise ValueError(text)
    return data


def _micros(moment: datetime) -> int:
    # Every time is stored in UTC; asyncpg reads PostgreSQL's -infinity and infinity, which it
    # writes for the first and last instants of years 1 to 9999, as naive datetimes. Rows of
    # earlier rules may hold them, and are still answered (storage/conversation_rows.py).
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


class Cursors:
    """Makes and reads the cursors of one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, organization_id: str, payload: bytes) -> bytes:
        message = _DOMAIN + organization_id.encode() + b"\x00" + payload
        return hmac.new(self._key, message, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(
        self, organization_id: str, order_by: OrderBy, order: Order, after: Position | str
    ) -> str:
        """The cursor of the page after `after`: a Position under last_message_at, else an id."""
        if isinstance(after, Position):
            at = None if after.last_message_at is None else _micros(after.last_message_at)
            fields: list[object] = [_FORMAT, order_by, order, after.id, at]
        else:
            fields = [_FORMAT, order_by, order, after]
        payload = json.dumps(fields, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{_b64(self._mac(organization_id, payload))}"

    def decode(
        self, organization_id: str, order_by: OrderBy, order: Order, cursor: str
    ) -> Position | str:
        """What encode was given; BadCursor unless this key made cursor for this organization
        and this order."""
        shape = _SHAPE.fullmatch(cursor)
        if shape is None:
            raise BadCursor()
        try:
            payload, mac = _unb64(shape[1]), _unb64(shape[2])
        except (ValueError, binascii.Error):
            raise BadCursor() from None
        if not hmac.compare_digest(mac, self._mac(organization_id, payload)):
            raise BadCursor()
        # Signed by this key, so made by encode: the checks below only refuse other orders.
        fields = json.loads(payload)
        if fields[:3] != [_FORMAT, order_by, order]:
            raise BadCursor()
        if len(fields) == 4:
            return str(fields[3])
        at = fields[4]
        return Position(fields[3], None if at is None else _EPOCH + at * _MICROSECOND)
