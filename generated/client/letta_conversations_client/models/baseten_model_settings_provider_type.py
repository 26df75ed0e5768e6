from enum import StrEnum


class BasetenModelSettingsProviderType(StrEnum):
    BASETEN = "baseten"

    def __str__(self) -> str:
        return str(self.value)
