"""generated/ is exactly what openapi.yaml produces, and the client it holds is strictly typed."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

COPIED = ("Makefile", "openapi.yaml", "pyproject.toml", "requirements.lock", "codegen", "generated")


def make(folder: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(folder), target],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the generation inputs and outputs that a test may spoil."""
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, tmp_path / name, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
            )
        else:
            shutil.copy2(source, tmp_path / name)
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return tmp_path


def test_check_generated_passes_on_the_committed_tree(checkout: Path) -> None:
    result = make(checkout, "check-generated")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_generated_fails_after_a_hand_edit(checkout: Path) -> None:
    edited = checkout / "generated/client/letta_conversations_client/models/conversation.py"
    edited.write_text(edited.read_text() + "\n# edited by hand\n")
    result = make(checkout, "check-generated")
    assert result.returncode != 0
    assert "edited by hand" in result.stdout


def test_check_generated_fails_when_the_spec_changes(checkout: Path) -> None:
    spec = checkout / "openapi.yaml"
    spec.write_text(spec.read_text().replace("Update a conversation", "Patch a conversation", 1))
    assert make(checkout, "check-generated").returncode != 0


def test_regeneration_is_byte_identical(checkout: Path) -> None:
    shutil.rmtree(checkout / "generated")
    subprocess.run([str(checkout / "codegen/generate.sh"), str(checkout / "generated")], check=True)
    result = subprocess.run(
        [
            "diff",
            "-r",
            "-x",
            "*.egg-info",
            "-x",
            "__pycache__",
            str(ROOT / "generated"),
            str(checkout / "generated"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


def test_the_generated_client_passes_mypy_strict(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path),
            "letta_conversations_client",
        ],
        cwd=ROOT / "generated/client",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
