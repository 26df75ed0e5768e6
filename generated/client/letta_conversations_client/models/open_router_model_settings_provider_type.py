from enum import StrEnum


class OpenRouterModelSettingsProviderType(StrEnum):
    OPENROUTER = "openrouter"

    def __str__(self) -> str:
        return str(self.value)
