from enum import StrEnum


class ChatGPTOAuthReasoningReasoningEffort(StrEnum):
    HIGH = "high"
    LOW = "low"
    MEDIUM = "medium"
    NONE = "none"
    XHIGH = "xhigh"

    def __str__(self) -> str:
        return str(self.value)
