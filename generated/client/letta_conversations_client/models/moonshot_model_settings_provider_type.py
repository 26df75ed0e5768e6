from enum import StrEnum


class MoonshotModelSettingsProviderType(StrEnum):
    MOONSHOT = "moonshot"

    def __str__(self) -> str:
        return str(self.value)
