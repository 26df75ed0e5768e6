"""make dist builds a wheel and an sdist of the generated client, versioned as openapi.yaml, that
install into a clean virtualenv; there the README's examples run as written against a server."""

import os
import re
import subprocess
import sys
import tarfile
import tomllib
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import ROOT, Served, mint_key, tool_environment

VERSION = yaml.safe_load((ROOT / "openapi.yaml").read_text())["info"]["version"]
SERVER_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
README = ROOT / "generated/client/README.md"
UV = ROOT / ".venv/bin/uv"


def run(*command: str | Path, **options: Any) -> subprocess.CompletedProcess[str]:
    """Runs a tool (make, uv) or, with env given, what the wheels installed."""
    options.setdefault("env", tool_environment())
    result: subprocess.CompletedProcess[str] = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=300, **options
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("dist") / "dist"
    run("make", "--no-print-directory", "-C", ROOT, "dist", f"DIST={folder}")
    return folder


@pytest.fixture(scope="module")
def clean_python(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a new virtualenv holding the wheel and what it depends on, nothing else."""
    venv = tmp_path_factory.mktemp("clean") / "venv"
    run(UV, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin/python"
    run(
        UV,
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        *dist.glob("letta_conversations_client-*.whl"),
    )
    return python


def test_make_dist_builds_a_wheel_and_an_sdist_versioned_as_the_spec(dist: Path) -> None:
    name = f"letta_conversations_client-{VERSION}"
    # Beside the server's (tests/ops/test_installed_server.py); uv also leaves a .gitignore.
    server = f"letta_conversations_server-{SERVER_VERSION}"
    assert sorted(path.name for path in dist.iterdir() if path.suffix in (".whl", ".gz")) == [
        f"{name}-py3-none-any.whl",
        f"{name}.tar.gz",
        f"{server}-py3-none-any.whl",
        f"{server}.tar.gz",
    ]
    with zipfile.ZipFile(dist / f"{name}-py3-none-any.whl") as wheel:
        files = wheel.namelist()
        metadata = wheel.read(f"{name}.dist-info/METADATA").decode()
    assert "letta_conversations_client/py.typed" in files
    assert "letta_conversations_client/errors.py" in files
    assert f"Version: {VERSION}" in metadata
    assert README.read_text().strip() in metadata  # its README is the long description
    with tarfile.open(dist / f"{name}.tar.gz") as sdist:
        members = sdist.getnames()
    assert f"{name}/README.md" in members and f"{name}/setup.py" in members


def test_the_readme_is_about_this_api_not_the_generators_placeholders() -> None:
    text = README.read_text()
    for placeholder in ("api.example.com", "MyDataModel", "my_tag", "SuperSecretToken"):
        assert placeholder not in text
    assert f"letta-conversations-client {VERSION}" in text


def test_the_wheel_installs_into_a_clean_virtualenv(clean_python: Path) -> None:
    shown = run(
        clean_python,
        "-c",
        "import importlib.metadata, letta_conversations_client as c;"
        "print(importlib.metadata.version('letta-conversations-client'), c.__file__)",
        cwd=clean_python.parent,
    )
    version, where = shown.stdout.split()
    assert version == VERSION
    assert Path(where).is_relative_to(clean_python.parent.parent)
    installed = run(UV, "pip", "freeze", "--python", clean_python).stdout
    names = {line.split("==")[0].lower() for line in installed.split()}
    assert {"letta-conversations-client", "httpx", "attrs"} <= names
    assert "pydantic" not in names and "letta-conversations-server" not in names


def test_the_readme_examples_run_as_written_against_a_running_server(
    clean_python: Path, server: Served, tmp_path: Path
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 8
    script = tmp_path / "readme_examples.py"
    script.write_text("\n".join(blocks))
    key = mint_key(server.database_url, f"readme-{uuid.uuid4()}", "reader")
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("PYTHON")
    }
    environment |= {"LETTA_CONVERSATIONS_BASE_URL": server.api_url}
    environment |= {"LETTA_CONVERSATIONS_API_KEY": key}
    result = run(clean_python, script, cwd=tmp_path, env=environment)
    printed = result.stdout
    assert "404 No conversation conv-00000000-0000-4000-8000-000000000000" in printed
    assert "412 Precondition Failed" in printed
    assert "422 [('body.summary'" in printed
