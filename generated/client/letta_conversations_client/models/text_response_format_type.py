from enum import StrEnum


class TextResponseFormatType(StrEnum):
    TEXT = "text"

    def __str__(self) -> str:
        return str(self.value)
