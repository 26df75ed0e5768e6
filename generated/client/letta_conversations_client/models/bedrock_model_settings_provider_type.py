from enum import StrEnum


class BedrockModelSettingsProviderType(StrEnum):
    BEDROCK = "bedrock"

    def __str__(self) -> str:
        return str(self.value)
