"""make dist's server wheel, installed into a clean virtualenv outside the checkout with only its
runtime dependencies, migrates, mints a key and serves there; the client's wheel, in a virtualenv
of its own, creates, updates and lists through it."""

import os
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ROOT, free_port, tool_environment

pytestmark = pytest.mark.slow

UV = ROOT / ".venv/bin/uv"
RUNTIME_LOCK = ROOT / "requirements-runtime.lock"

# Run by the client's wheel, in its virtualenv: create, update, list, each printed.
CLIENT_SCRIPT = """
import sys
from letta_conversations_client import AuthenticatedClient
from letta_conversations_client.api.conversations import (
    create_conversation, list_conversations, update_conversation,
)
from letta_conversations_client.models import ConversationCreate, ConversationUpdate

agent = "agent-0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
with AuthenticatedClient(base_url=sys.argv[1], token=sys.argv[2]) as client:
    created = create_conversation.sync(
        client=client, agent_id=agent, body=ConversationCreate(summary="installed")
    )
    updated = update_conversation.sync(
        created.id, client=client, body=ConversationUpdate(summary="updated")
    )
    listed = list_conversations.sync(client=client, agent_id=agent)
    print(created.id, updated.summary, [c.id for c in listed], [c.summary for c in listed])
"""


def run(*command: str | Path, **options: Any) -> subprocess.CompletedProcess[str]:
    """Runs a tool (make, uv) or, with env given, what the wheels installed."""
    options.setdefault("env", tool_environment())
    result: subprocess.CompletedProcess[str] = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=300, **options
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def _outside(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    folder = tmp_path_factory.mktemp(name)
    assert not folder.resolve().is_relative_to(ROOT)
    return folder


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _outside(tmp_path_factory, "dist") / "dist"
    run("make", "--no-print-directory", "-C", ROOT, "dist", f"DIST={folder}")
    return folder


def _venv(folder: Path, *wheels: Path, constraints: Path) -> Path:
    """The python of a new virtualenv holding the wheels and what they depend on, constrained to
    the lock, from uv's cache (make install filled it)."""
    venv = folder / "venv"
    run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin/python"
    install: list[str | Path] = [UV, "pip", "install", "--quiet", "--python", python]
    install += ["-c", constraints, *wheels]
    offline = subprocess.run(
        [*(str(part) for part in install), "--offline"],
        env=tool_environment(),
        capture_output=True,
        text=True,
    )
    if offline.returncode != 0:  # a cache without some of them: from the index
        run(*install)
    return python


@pytest.fixture(scope="module")
def server_python(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheel = next(dist.glob("letta_conversations_server-*.whl"))
    return _venv(_outside(tmp_path_factory, "server"), wheel, constraints=RUNTIME_LOCK)


@pytest.fixture(scope="module")
def client_python(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheel = next(dist.glob("letta_conversations_client-*.whl"))
    return _venv(
        _outside(tmp_path_factory, "client"), wheel, constraints=ROOT / "requirements.lock"
    )


def _environment() -> dict[str, str]:
    """This one's, without what would make the installed server read the checkout."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTHON", "CONVERSATIONS_", "COV_CORE"))
    }


def test_every_name_the_wheel_installs_is_the_projects_own(dist: Path) -> None:
    wheel = next(dist.glob("letta_conversations_server-*.whl"))
    sdist = dist / wheel.name.replace("-py3-none-any.whl", ".tar.gz")
    with tarfile.open(sdist) as archive:
        inside = archive.getnames()
    assert f"{sdist.name.removesuffix('.tar.gz')}/server_impl/openapi.yaml" in inside
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
    tops = {name.split("/")[0] for name in files}
    assert tops == {"server_impl", wheel.name.split("-py3")[0] + ".dist-info"}
    for read_at_run_time in (
        "server_impl/openapi.yaml",
        "server_impl/_generated/models/__init__.py",
        "server_impl/storage/migrations/env.py",
        "server_impl/storage/migrations/versions/0001_initial.py",
    ):
        assert read_at_run_time in files
    assert (ROOT / "openapi.yaml").read_bytes() == zipfile.ZipFile(wheel).read(
        "server_impl/openapi.yaml"
    )


def test_the_wheel_installs_only_the_runtime_dependencies(server_python: Path) -> None:
    installed = run(UV, "pip", "freeze", "--python", server_python).stdout.splitlines()
    locked = {
        line.split(";")[0].strip()
        for line in RUNTIME_LOCK.read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    others = {line for line in installed if not line.startswith("letta-conversations-server")}
    assert others <= locked, others - locked
    for development_only in ("pytest", "mypy", "datamodel-code-generator", "schemathesis"):
        assert all(not line.startswith(f"{development_only}==") for line in installed)


@pytest.fixture
def installed_server(
    server_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The installed server migrated, with a key, serving from a folder outside the checkout:
    its URL and the key."""
    work = _outside(tmp_path_factory, "work")
    bin_dir = server_python.parent
    database = f"sqlite:///{work / 'conversations.db'}"
    environment = _environment()
    command = bin_dir / "conversations-server"
    migrated = run(command, "migrate", "--database-url", database, cwd=work, env=environment)
    assert "The database schema is at revision" in migrated.stdout
    key = run(
        command, "keys", "create", "--organization", "acme", "--user", "alice",
        "--database-url", database, cwd=work, env=environment,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    log = (work / "serve.log").open("w")
    process = subprocess.Popen(
        [command, "serve", "--port", str(port), "--database-url", database],
        cwd=work,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (work / "serve.log").read_text()
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (work / "serve.log").read_text()
                time.sleep(0.1)
        yield url, key
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_installed_server_migrates_mints_and_serves_the_clients_wheel(
    installed_server: tuple[str, str], server_python: Path, client_python: Path
) -> None:
    url, key = installed_server
    where = run(
        server_python, "-c", "import server_impl; print(server_impl.__file__)", cwd="/"
    ).stdout.strip()
    assert Path(where).is_relative_to(server_python.parent.parent)
    printed = run(client_python, "-c", CLIENT_SCRIPT, url, key, cwd="/", env=_environment())
    created, summary, ids, summaries = printed.stdout.split(" ", 3)
    assert summary == "updated"
    assert ids.strip("[]'") == created
    assert summaries.strip() == "['updated']"
