"""How a worker process builds its app."""

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from connexion.spec import Specification
from starlette.testclient import TestClient

from server_impl.api.app import SPEC_PATH, create_app
from server_impl.settings import Settings
from server_impl.storage import store_for
from tests.support import AGENT, ROOT


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


def test_an_app_and_what_it_serves_leave_the_spec_it_is_given_as_it_was(
    sqlite_url: str, key: dict[str, str]
) -> None:
    # The tests hand every app of a process one spec, loaded once, uncopied (tests.support).
    spec = Specification.load(SPEC_PATH)
    raw, resolved = copy.deepcopy(spec.raw), copy.deepcopy(spec.spec)
    app = create_app(Settings(validate_responses=True), store_for(sqlite_url), spec=spec)
    with TestClient(app, base_url="http://testserver/v1") as client:
        created = client.post("/conversations/", params={"agent_id": AGENT}, headers=key)
        assert created.status_code == 200, created.text
        url = f"/conversations/{created.json()['id']}"
        assert client.patch(url, json={"summary": "s"}, headers=key).status_code == 200
        assert client.patch(url, json={"summary": 5}, headers=key).status_code == 422
        assert client.get("/conversations/", params={"limit": 1}, headers=key).status_code == 200
        assert client.get("/conversations/").status_code == 401
        assert client.get("/openapi.json").status_code == 200
    assert spec.raw == raw
    assert spec.spec == resolved
