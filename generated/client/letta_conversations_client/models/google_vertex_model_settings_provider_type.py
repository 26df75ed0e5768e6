from enum import StrEnum


class GoogleVertexModelSettingsProviderType(StrEnum):
    GOOGLE_VERTEX = "google_vertex"

    def __str__(self) -> str:
        return str(self.value)
