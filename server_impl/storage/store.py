"""SqlStore: every storage operation (the ports of server_impl.domain.ports), once for both
engines, composed of one class per aggregate; each engine module supplies the primitives
(sql.Engine) and its dialect."""

from .api_keys import SqlApiKeys
from .conversation_pages import SqlConversationPages
from .conversations import SqlConversations
from .idempotency import SqlIdempotencyRecords


class SqlStore(SqlConversations, SqlConversationPages, SqlIdempotencyRecords, SqlApiKeys):
    """The Store of server_impl.domain.ports on an engine's primitives."""
