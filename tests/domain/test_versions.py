"""Entity tags and If-Match (server_impl/domain/versions.py)."""

import pytest

from server_impl.domain.versions import IfMatch, etag, parse_if_match, versions_to_test

EIGHTEEN_NINES = 10**18 - 1


def test_etag_is_the_version_in_double_quotes() -> None:
    assert etag(1) == '"1"'
    assert etag(42) == '"42"'


@pytest.mark.parametrize("version", [1, 2, 42, EIGHTEEN_NINES])
def test_parse_if_match_reads_back_every_etag(version: int) -> None:
    assert parse_if_match(etag(version)) == frozenset({version})


@pytest.mark.parametrize(
    ("header", "versions"),
    [
        (None, None),
        # `*` needs a current version where no header needs nothing (RFC 9110, 13.1.1): read
        # as no header, it let a PATCH of the default make one.
        ("*", "*"),
        ("  *  ", "*"),
        ("**", frozenset()),
        ("W/*", frozenset()),
        ('"3"', frozenset({3})),
        ('"1", "2","3" ,  "12"', frozenset({1, 2, 3, 12})),
        ('"3", "3"', frozenset({3})),
        ('W/"3"', frozenset()),
        ('W/"3", "4"', frozenset({4})),
        ('w/"3"', frozenset()),
        ("garbage", frozenset()),
        ("3", frozenset()),
        ('"abc"', frozenset()),
        ('""', frozenset()),
        ('"-1"', frozenset()),
        ('"3', frozenset()),
        ('"3"x', frozenset()),
        ('"3" "4"', frozenset()),
        ("", frozenset()),
        (",", frozenset()),
        ('garbage, "5"', frozenset({5})),
        ('*, "5"', frozenset({5})),
        (f'"{EIGHTEEN_NINES}"', frozenset({EIGHTEEN_NINES})),
        (f'"{EIGHTEEN_NINES + 1}"', frozenset()),
        (f'"{EIGHTEEN_NINES + 1}", "7"', frozenset({7})),
        # Strong comparison is character by character (RFC 9110, 8.8.3.2): etag(7) is "7".
        ('"007"', frozenset()),
        ('"01", "0"', frozenset({0})),
    ],
)
def test_parse_if_match_keeps_a_lone_star_and_only_strong_tags_of_at_most_18_digits(
    header: str | None, versions: IfMatch | None
) -> None:
    assert parse_if_match(header) == versions


def test_versions_to_test_are_those_named_and_none_for_no_header_or_a_star() -> None:
    assert versions_to_test(None) is None
    assert versions_to_test("*") is None
    assert versions_to_test(frozenset({3, 4})) == frozenset({3, 4})
    assert versions_to_test(frozenset()) == frozenset()
