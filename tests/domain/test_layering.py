"""The rules stand apart: importing the domain loads no web framework, driver or SQLAlchemy."""

import pkgutil
import subprocess
import sys

import server_impl.domain
from tests.support import ROOT

FORBIDDEN = ("connexion", "starlette", "sqlalchemy", "alembic", "asyncpg", "sqlite3", "uvicorn")
OTHER_LAYERS = ("server_impl.api", "server_impl.storage", "server_impl.ops")


def test_importing_every_domain_module_loads_nothing_of_the_web_or_the_database() -> None:
    modules = [
        f"server_impl.domain.{m.name}" for m in pkgutil.iter_modules(server_impl.domain.__path__)
    ]
    # Only what these imports load: a coverage run has loaded sqlite3 for itself already.
    probe = (
        f"import sys; before = set(sys.modules); import {', '.join(modules)};"
        " print('\\n'.join(set(sys.modules) - before))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(modules) >= 6
    offending = [
        name for name in loaded if name.split(".")[0] in FORBIDDEN or name.startswith(OTHER_LAYERS)
    ]
    assert offending == []
