"""What can go wrong in a conversation operation: it or a default is missing, or has changed."""

from .errors import NotFound, PreconditionFailed


class ConversationNotFound(NotFound):
    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"No conversation {conversation_id}.")


class ConversationChanged(PreconditionFailed):
    """The conversation's version is none of those the write accepts."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(
            f"Conversation {conversation_id} has changed since the ETag in If-Match;"
            " retrieve it again and retry. Nothing was changed."
        )


class NoDefault(NotFound):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"Agent {agent_id} has no default conversation.")


class NoDefaultToMatch(PreconditionFailed):
    """A conditional write names versions of a default conversation that does not exist (not
    made yet, or deleted)."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(
            f"Agent {agent_id} has no default conversation, so no ETag in If-Match can"
            " match; retrieve it first. Nothing was changed."
        )
