from enum import StrEnum


class DeepseekModelSettingsProviderType(StrEnum):
    DEEPSEEK = "deepseek"

    def __str__(self) -> str:
        return str(self.value)
