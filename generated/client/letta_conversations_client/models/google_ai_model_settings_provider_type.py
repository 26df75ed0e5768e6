from enum import StrEnum


class GoogleAIModelSettingsProviderType(StrEnum):
    GOOGLE_AI = "google_ai"

    def __str__(self) -> str:
        return str(self.value)
