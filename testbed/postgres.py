"""A throwaway PostgreSQL cluster, from the machine's PostgreSQL binaries.

initdb into a temporary folder, listening on loopback only, run as the `postgres` user when the
tests run as root (PostgreSQL refuses to run as root). Stopped and deleted afterwards.
"""

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import asyncpg

from . import free_port

USER = "conversations"


def bin_dir() -> Path:
    configured = os.environ.get("CONVERSATIONS_PG_BIN")
    if configured:
        return Path(configured)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    if candidates:
        return candidates[-1]
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise RuntimeError(
        "PostgreSQL server binaries not found: install PostgreSQL (Debian: postgresql-15) or"
        " set CONVERSATIONS_PG_BIN; CONVERSATIONS_TEST_ENGINES=sqlite skips PostgreSQL tests"
    )


class PostgresCluster:
    def __init__(self) -> None:
        self._locate(Path(tempfile.mkdtemp(prefix="pg-test-")), free_port())
        if self._as_postgres:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8")
        self.start()

    def _locate(self, folder: Path, port: int) -> None:
        self.bin = bin_dir()
        self.folder = folder
        self.data = folder / "data"
        self.port = port
        self._as_postgres = os.geteuid() == 0

    @classmethod
    def attach(cls, folder: Path, port: int) -> "PostgresCluster":
        """The running cluster that another process started in folder, listening on port."""
        cluster = cls.__new__(cls)
        cluster._locate(folder, port)
        return cluster

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str | None = None) -> str:
        """A fresh database, empty or a copy of template (a database nobody is connected to);
        its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        copied = f' TEMPLATE "{template}"' if template else ""

        async def create() -> None:
            connection = await asyncpg.connect(self.url())
            try:
                await connection.execute(f'CREATE DATABASE "{name}"{copied}')
            finally:
                await connection.close()

        asyncio.run(create())
        return self.url(name)

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
