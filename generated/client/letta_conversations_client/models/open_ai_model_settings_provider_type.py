from enum import StrEnum


class OpenAIModelSettingsProviderType(StrEnum):
    OPENAI = "openai"

    def __str__(self) -> str:
        return str(self.value)
