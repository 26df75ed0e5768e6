"""Database URLs: which engine, and how each library wants the address."""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Engine = Literal["sqlite", "postgresql"]
_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")


class UnsupportedDatabaseUrl(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseUrl:
    url: str
    engine: Engine

    @classmethod
    def parse(cls, url: str) -> "DatabaseUrl":
        if url.startswith(_POSTGRES):
            return cls(url, "postgresql")
        if url.startswith(_SQLITE) and url != _SQLITE:
            return cls(url, "sqlite")
        raise UnsupportedDatabaseUrl(
            f"Unsupported database URL {shown(url)!r}: use sqlite:///PATH or postgresql://…"
        )

    @property
    def sqlite_path(self) -> str:
        """The file of ``sqlite:///relative`` or ``sqlite:////absolute`` (or ``:memory:``)."""
        assert self.engine == "sqlite"
        return self.url[len(_SQLITE) :]

    @property
    def sqlalchemy_url(self) -> str:
        """The URL for SQLAlchemy (the migrations): PostgreSQL through asyncpg."""
        if self.engine == "postgresql":
            return "postgresql+asyncpg://" + self.url.split("://", 1)[1]
        return self.url


def shown(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    scheme, separator, rest = url.partition("://")
    credentials, at, address = rest.rpartition("@")
    if not separator or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{address}"


def ensure_folder(path: str) -> None:
    """Creates the folder of a SQLite file, so that a new installation starts anywhere."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
