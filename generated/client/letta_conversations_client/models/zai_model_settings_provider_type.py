from enum import StrEnum


class ZaiModelSettingsProviderType(StrEnum):
    ZAI = "zai"

    def __str__(self) -> str:
        return str(self.value)
