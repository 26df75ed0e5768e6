"""generated/ is exactly what openapi.yaml produces, and the client it holds is strictly typed."""

import shutil
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from tests.support import MODEL_SETTINGS, ROOT, tool_environment

COPIED = ("Makefile", "openapi.yaml", "pyproject.toml", "requirements.lock", "codegen", "generated")


def make(folder: Path, target: str) -> subprocess.CompletedProcess[str]:
    # The copy's .venv is this checkout's: -o keeps make from installing the copy into it (the
    # copy's pyproject.toml, newer than .venv/.deps after a change, would have it), which would
    # leave this checkout's editable install pointing at the copy, deleted after the test.
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(folder), "-o", ".venv/.deps", target],
        env=tool_environment(),
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


@pytest.mark.slow
def test_check_generated_passes_on_the_committed_tree(checkout: Path) -> None:
    # It generates into an empty folder and compares: regeneration is byte-identical.
    result = make(checkout, "check-generated")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_check_generated_fails_after_a_hand_edit_or_a_spec_change(checkout: Path) -> None:
    # One run sees both: the hand edit in its diff, and the spec's new words regenerated.
    edited = checkout / "generated/client/letta_conversations_client/models/conversation.py"
    edited.write_text(edited.read_text() + "\n# edited by hand\n")
    spec = checkout / "openapi.yaml"
    spec.write_text(spec.read_text().replace("Update a conversation", "Patch a conversation", 1))
    result = make(checkout, "check-generated")
    assert result.returncode != 0
    assert "edited by hand" in result.stdout
    assert "Patch a conversation" in result.stdout


def strict_mypy(target: str, cwd: Path, cache: str) -> subprocess.CompletedProcess[str]:
    """mypy --strict on target, with a cache kept in .mypy_cache between runs: a later run
    checks again only what changed."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(ROOT / ".mypy_cache" / cache),
            target,
        ],
        cwd=cwd,
        env=tool_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_the_generated_client_passes_mypy_strict() -> None:
    result = strict_mypy("letta_conversations_client", ROOT / "generated/client", "client")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_clients_public_surface_is_typed_as_documented() -> None:
    """Errors, retry policy, timeouts and iterators keep their types (public_surface.py)."""
    # The client as installed in .venv (editable, in compat mode: see the Makefile).
    result = strict_mypy(str(Path(__file__).with_name("public_surface.py")), ROOT, "surface")
    assert result.returncode == 0, result.stdout + result.stderr


# What the generators make of model_settings: in openapi.yaml `anyOf` [the union of providers
# (`oneOf` + `discriminator` on provider_type), a null-only schema], OpenAPI 3.0.3's "null or
# one of the union".


def test_the_generated_client_picks_each_providers_class_by_trial_not_by_discriminator() -> None:
    from letta_conversations_client.models import ConversationUpdate, OpenAIModelSettings
    from letta_conversations_client.types import Unset

    for provider, settings in MODEL_SETTINGS.items():
        parsed = ConversationUpdate.from_dict({"model_settings": settings}).model_settings
        assert parsed is not None and not isinstance(parsed, Unset)
        # Each member is tried in turn; its provider_type enum refuses the other tags.
        assert type(parsed).__name__.lower() == provider.replace("_", "") + "modelsettings"
        assert parsed.to_dict() == settings
    assert ConversationUpdate.from_dict({"model_settings": None}).model_settings is None
    # It checks no field's type, and a tag no member has comes through as the plain dict: values
    # its annotations say cannot be there (a float; one of the classes or None), so read here as
    # plain objects.
    hot = {"provider_type": "openai", "temperature": "hot"}
    parsed = ConversationUpdate.from_dict({"model_settings": hot}).model_settings
    assert isinstance(parsed, OpenAIModelSettings)
    temperature: object = parsed.temperature
    assert temperature == "hot"
    unknown = {"provider_type": "mistral"}
    kept: object = ConversationUpdate.from_dict({"model_settings": unknown}).model_settings
    assert kept == unknown


def test_the_pydantic_models_union_has_no_discriminator_and_would_lose_what_it_cannot_match() -> (
    None
):
    from server_impl._generated.models import (
        ConversationUpdate,
        NoModelSettings,
        OpenAIModelSettings,
    )

    # datamodel-code-generator flattens the anyOf into one plain union, the discriminator lost,
    # with the null-only schema as an empty model first: pydantic's smart union then takes
    # anything the providers refuse as that empty model. So the server checks model_settings
    # with connexion (a 422 naming the field) and keeps the JSON object as given
    # (server_impl/domain/model_settings.py); it never uses this union.
    field = ConversationUpdate.model_fields["model_settings"]
    assert field.discriminator is None
    members = typing.get_args(field.annotation)
    assert members[0] is NoModelSettings and members[-1] is type(None) and len(members) == 19
    for refused in ({"provider_type": "mistral"}, {"provider_type": "openai", "temperature": "x"}):
        parsed = ConversationUpdate.model_validate({"model_settings": refused}).model_settings
        assert isinstance(parsed, NoModelSettings) and parsed.model_dump() == {}
    # Each provider's tag is a Literal, and what it does match it re-makes: nulls filled in,
    # an integer made a float, an unknown field dropped.
    assert typing.get_args(OpenAIModelSettings.model_fields["provider_type"].annotation) == (
        "openai",
    )
    given = {"provider_type": "openai", "temperature": 1, "seed": 7}
    remade = ConversationUpdate.model_validate({"model_settings": given}).model_settings
    assert isinstance(remade, OpenAIModelSettings)
    dumped = remade.model_dump(mode="json")
    assert dumped["temperature"] == 1.0 and isinstance(dumped["temperature"], float)
    assert "seed" not in dumped and dumped["strict"] is None
