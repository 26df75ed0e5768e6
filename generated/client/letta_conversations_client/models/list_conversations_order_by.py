from enum import StrEnum


class ListConversationsOrderBy(StrEnum):
    CREATED_AT = "created_at"
    LAST_MESSAGE_AT = "last_message_at"
    LAST_RUN_COMPLETION = "last_run_completion"

    def __str__(self) -> str:
        return str(self.value)
