"""The client generated from the previous release's spec, tests/compat/previous/openapi-0.1.0.yaml,
keeps working against this server: every operation, answers parsed without losing a field.

The client is generated once per session into a temporary folder and runs in processes of its
own (tests/compat/previous/calls.py), with PYTHONPATH putting it before the current client,
which has the same package name and is installed in .venv.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.compat.previous.calls import SCENARIOS
from tests.support import ROOT, Keys, Served, tool_environment

PREVIOUS = Path(__file__).parent / "previous"
SPEC = PREVIOUS / "openapi-0.1.0.yaml"
CALLS = PREVIOUS / "calls.py"


@pytest.fixture(scope="session")
def previous_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder holding the generated letta_conversations_client package."""
    out = tmp_path_factory.mktemp("previous")
    result = subprocess.run(
        [str(ROOT / "codegen/generate.sh"), str(out), str(SPEC)],
        env=tool_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "client"


def test_the_previous_client_carries_the_previous_version(previous_client: Path) -> None:
    version = yaml.safe_load(SPEC.read_text())["info"]["version"]
    assert SPEC.name == f"openapi-{version}.yaml"
    assert f'version="{version}",' in (previous_client / "setup.py").read_text()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_previous_client_works_against_this_server(
    scenario: str, previous_client: Path, server: Served, keys: Keys, agent_id: str
) -> None:
    result = subprocess.run(
        [sys.executable, str(CALLS), scenario],
        env=tool_environment(
            PYTHONPATH=str(previous_client),
            PREVIOUS_CLIENT_URL=server.api_url,
            PREVIOUS_CLIENT_KEY=keys.alice,
            PREVIOUS_CLIENT_AGENT=agent_id,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
