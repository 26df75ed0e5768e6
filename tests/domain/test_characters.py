"""The characters no name and no model handle may hold (server_impl/domain/characters.py),
and the spec's pattern for model handles, which states the same rule where a pattern can."""

import re
import sys
import unicodedata

import pytest
import yaml

from server_impl.domain.characters import REFUSED_CATEGORIES, refused_character
from tests.support import ROOT

# Of the refused categories, those a pattern lists by range: surrogates cannot be in a pattern
# that every engine reads, and unassigned code points change with each Unicode release.
LISTED_BY_THE_PATTERN = set(REFUSED_CATEGORIES) - {"Cs", "Cn"}


def model_handle_pattern() -> str:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    pattern: str = spec["components"]["schemas"]["ModelHandle"]["pattern"]
    return pattern


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("gpt\u0085x", "character 4 is U+0085, a control character"),
        ("gpt\u009bx", "character 4 is U+009B, a control character"),
        ("gpt\u2028x", "character 4 is U+2028, a line separator"),
        ("gpt\u202ex", "character 4 is U+202E, a format character"),
        ("gpt\u200bx", "character 4 is U+200B, a format character"),
        ("gpt\U000e0001x", "character 4 is U+E0001, a format character"),
        ("gpt\U000f0000x", "character 4 is U+F0000, a private-use character"),
        ("gpt\u0378x", "character 4 is U+0378, an unassigned code point"),
    ],
)
def test_a_refused_character_is_named_by_position_code_point_and_kind(
    text: str, reason: str
) -> None:
    assert refused_character(text) == reason


@pytest.mark.parametrize("text", ["gpt-4o", "Llama 3", "Straße", "模型", "\U0001f600"])
def test_letters_spaces_and_symbols_of_any_script_are_allowed(text: str) -> None:
    assert refused_character(text) is None


def test_the_model_handle_pattern_refuses_in_the_basic_multilingual_plane_what_the_rule_does() -> (
    None
):
    pattern = re.compile(model_handle_pattern())
    disagree = [
        f"U+{point:04X}"
        for point in range(0x10000)
        if not 0xD800 <= point <= 0xDFFF
        and (pattern.fullmatch("openai/gpt" + chr(point)) is None)
        != (unicodedata.category(chr(point)) in LISTED_BY_THE_PATTERN or point == 0x20)
    ]
    assert disagree == [], f"Unicode {unicodedata.unidata_version}, Python {sys.version}"
