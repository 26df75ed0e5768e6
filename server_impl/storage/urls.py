"""Database URLs: which engine, and how each library wants the address."""

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Engine = Literal["sqlite", "postgresql"]
_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")


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
        raise ValueError(f"unsupported database URL {url!r}: use sqlite:///PATH or postgresql://…")

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


def ensure_folder(path: str) -> None:
    """Creates the folder of a SQLite file, so that a new installation starts anywhere."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
