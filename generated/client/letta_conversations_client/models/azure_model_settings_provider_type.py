from enum import StrEnum


class AzureModelSettingsProviderType(StrEnum):
    AZURE = "azure"

    def __str__(self) -> str:
        return str(self.value)
