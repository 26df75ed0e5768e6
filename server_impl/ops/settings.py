"""Every setting of the server, in one place.

Each can be set by an environment variable (prefix ``CONVERSATIONS_``) or, for ``serve``, by
the command-line option of the same name, which wins.
"""

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Read from CONVERSATIONS_* environment variables; `serve` options override them."""

    model_config = SettingsConfigDict(env_prefix="CONVERSATIONS_", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8283, ge=0, le=65535)
    database_url: str = "sqlite:///var/conversations.db"
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    workers: int = Field(default=1, ge=1)
    validate_responses: bool = False
    log_level: str = "info"

    @property
    def logs_requests(self) -> bool:
        """Whether the log level shows a line per request (uvicorn logs them at info)."""
        return self.log_level.lower() in {"trace", "debug", "info"}


def export(settings: Settings) -> None:
    """Puts settings into the environment, where the worker processes of `serve` read them."""
    for name, value in settings.model_dump().items():
        os.environ[f"CONVERSATIONS_{name.upper()}"] = str(value)
