from enum import StrEnum


class MoonshotCodingModelSettingsProviderType(StrEnum):
    MOONSHOT_CODING = "moonshot_coding"

    def __str__(self) -> str:
        return str(self.value)
