from enum import StrEnum


class ListConversationsArchiveStatus(StrEnum):
    ALL = "all"
    ARCHIVED = "archived"
    UNARCHIVED = "unarchived"

    def __str__(self) -> str:
        return str(self.value)
