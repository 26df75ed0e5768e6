"""How a worker process builds its app."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from server_impl.api.app import create_app
from server_impl.settings import Settings
from tests.support import ROOT


def test_the_app_built_at_startup_is_kept_out_of_full_collections(tmp_path: Path) -> None:
    # A full collection walks every tracked object; the spec, schemas and validators built at
    # startup (tens of thousands) made each one stall all requests in flight.
    probe = (
        "import gc; from server_impl.api.app import app_from_environment;"
        "app_from_environment(); print(gc.get_freeze_count())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"CONVERSATIONS_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout) > 10_000


def test_an_app_reads_its_spec_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Parsing the YAML is most of what making an app costs (a worker's start, every test's app):
    # connexion is handed the spec as read, not its path to read again.
    parsed = []
    safe_load = yaml.safe_load

    def counted(stream: Any) -> Any:
        parsed.append(stream)
        return safe_load(stream)

    monkeypatch.setattr(yaml, "safe_load", counted)
    create_app(Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"))
    assert len(parsed) == 1
