"""Contains all the data models used in inputs/outputs"""

from .conversation import Conversation
from .conversation_create import ConversationCreate
from .conversation_update import ConversationUpdate
from .health import Health
from .health_status import HealthStatus
from .invalid_param import InvalidParam
from .list_conversations_archive_status import ListConversationsArchiveStatus
from .list_conversations_order import ListConversationsOrder
from .list_conversations_order_by import ListConversationsOrderBy
from .problem import Problem

__all__ = (
    "Conversation",
    "ConversationCreate",
    "ConversationUpdate",
    "Health",
    "HealthStatus",
    "InvalidParam",
    "ListConversationsArchiveStatus",
    "ListConversationsOrder",
    "ListConversationsOrderBy",
    "Problem",
)
