from enum import StrEnum


class SGLangModelSettingsProviderType(StrEnum):
    SGLANG = "sglang"

    def __str__(self) -> str:
        return str(self.value)
