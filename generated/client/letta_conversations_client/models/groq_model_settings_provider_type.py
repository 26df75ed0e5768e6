from enum import StrEnum


class GroqModelSettingsProviderType(StrEnum):
    GROQ = "groq"

    def __str__(self) -> str:
        return str(self.value)
