from enum import StrEnum


class AnthropicModelSettingsProviderType(StrEnum):
    ANTHROPIC = "anthropic"

    def __str__(self) -> str:
        return str(self.value)
