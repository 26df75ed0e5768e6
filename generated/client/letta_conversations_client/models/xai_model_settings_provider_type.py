from enum import StrEnum


class XAIModelSettingsProviderType(StrEnum):
    XAI = "xai"

    def __str__(self) -> str:
        return str(self.value)
