"""The command line explains itself: every command's --help reads as finished sentences."""

import argparse
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from server_impl.ops.cli import PROG, _parser


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from parsers(child)


ALL = list(parsers(_parser(PROG)))


def sentence(text: str | None) -> bool:
    return text is not None and text[:1].isupper() and text.rstrip().endswith(".")


@pytest.mark.parametrize("parser", ALL, ids=lambda parser: parser.prog)
def test_every_command_and_option_is_described_in_sentences(
    parser: argparse.ArgumentParser,
) -> None:
    assert sentence(parser.description), parser.description
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        assert sentence(action.help), f"{parser.prog} {action.option_strings}: {action.help!r}"


def test_every_subcommand_is_listed_with_its_summary() -> None:
    top = _parser(PROG).format_help()
    for command in ("migrate", "serve", "keys"):
        assert command in top


@pytest.mark.parametrize("args", [[], ["serve"], ["keys"], ["keys", "create"]])
def test_the_installed_command_answers_help(args: list[str]) -> None:
    command = Path(sys.executable).parent / PROG
    result = subprocess.run(
        [str(command), *args, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {PROG}")
