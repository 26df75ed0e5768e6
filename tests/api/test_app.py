"""How a worker process builds its app."""

import subprocess
import sys
from pathlib import Path

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
