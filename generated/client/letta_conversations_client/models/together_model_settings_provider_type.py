from enum import StrEnum


class TogetherModelSettingsProviderType(StrEnum):
    TOGETHER = "together"

    def __str__(self) -> str:
        return str(self.value)
