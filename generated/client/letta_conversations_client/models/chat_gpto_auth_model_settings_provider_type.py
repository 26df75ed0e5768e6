from enum import StrEnum


class ChatGPTOAuthModelSettingsProviderType(StrEnum):
    CHATGPT_OAUTH = "chatgpt_oauth"

    def __str__(self) -> str:
        return str(self.value)
