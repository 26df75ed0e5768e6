"""The rules of API keys (server_impl/domain/keys.py): their shape, checking, minting, revoking."""

import asyncio
import hashlib
import re
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest

from server_impl.domain import keys
from server_impl.domain.actor import Actor
from server_impl.domain.keys import InvalidName, MintedKey, ParsedKey, parse_key, parse_name
from server_impl.domain.ports import ApiKeyListing, Name
from tests.domain.fake_store import FakeStore

T = TypeVar("T")

MINTED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
REVOKED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
KEY_ID = "0123456789abcdef"
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def mint(store: FakeStore, organization: str = "acme", user: str = "alice") -> MintedKey:
    return run(keys.mint(store, organization=organization, user=user, clock=lambda: MINTED_AT))


def mint_first(
    store: FakeStore, organization: str = "acme", user: str = "root"
) -> MintedKey | None:
    return run(
        keys.mint_first(store, organization=organization, user=user, clock=lambda: MINTED_AT)
    )


def actor_for(store: FakeStore, key: str) -> Actor | None:
    return run(keys.actor_for(store, key))


def secret_of(minted: MintedKey) -> str:
    parsed = parse_key(minted.key)
    assert parsed is not None
    return parsed.secret


def test_parse_key_accepts_what_mint_prints() -> None:
    minted = mint(FakeStore())
    assert re.fullmatch(r"lck_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", minted.key)
    parsed = parse_key(minted.key)
    assert parsed == ParsedKey(minted.key_id, minted.key[len("lck_") + 16 + 1 :])
    assert minted.key == f"lck_{minted.key_id}_{secret_of(minted)}"


def test_parse_key_keeps_underscores_after_the_key_id_in_the_secret() -> None:
    # token_urlsafe secrets may contain "_": only the first two separate the parts.
    assert parse_key(f"lck_{KEY_ID}_a_b__c_") == ParsedKey(KEY_ID, "a_b__c_")
    assert parse_key(f"lck_{KEY_ID}__") == ParsedKey(KEY_ID, "_")


def test_parse_key_checks_the_key_ids_length_not_its_alphabet() -> None:
    # Pinned as the code stands: such an id is then simply unknown to the store.
    assert parse_key("lck_ZZZZZZZZZZZZZZZZ_secret") == ParsedKey("ZZZZZZZZZZZZZZZZ", "secret")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "lck",
        "lck_",
        "lck__secret",
        f"lck_{KEY_ID}",
        f"lck_{KEY_ID}_",
        f"sk_{KEY_ID}_secret",
        f"LCK_{KEY_ID}_secret",
        f" lck_{KEY_ID}_secret",
        f"lck-{KEY_ID}-secret",
        f"lck_{KEY_ID[:-1]}_secret",
        f"lck_{KEY_ID}0_secret",
        "lck_01234567_89abcdef_secret",
        f"Bearer lck_{KEY_ID}_secret",
    ],
)
def test_parse_key_rejects_malformed_keys(key: str) -> None:
    assert parse_key(key) is None


def test_actor_for_a_minted_key_is_its_owner() -> None:
    store = FakeStore()
    alice, carol = mint(store, "acme", "alice"), mint(store, "globex", "carol")
    acme, globex = store.organizations["acme"], store.organizations["globex"]
    assert re.fullmatch(f"org-{UUID}", acme) and re.fullmatch(f"org-{UUID}", globex)
    assert acme != globex
    assert actor_for(store, alice.key) == Actor(store.users[(acme, "alice")], acme)
    assert actor_for(store, carol.key) == Actor(store.users[(globex, "carol")], globex)
    assert re.fullmatch(f"user-{UUID}", store.users[(acme, "alice")])


def test_actor_for_is_none_for_malformed_unknown_revoked_or_wrong_secret_keys() -> None:
    store = FakeStore()
    alice, bob = mint(store, user="alice"), mint(store, user="bob")
    secret = secret_of(alice)
    wrong_secret = ("A" if secret[0] != "A" else "B") + secret[1:]
    assert actor_for(store, alice.key[:-1]) is None  # truncated secret
    assert actor_for(store, f"lck_{alice.key_id}_{wrong_secret}") is None
    assert actor_for(store, f"lck_{bob.key_id}_{secret}") is None  # another key's secret
    assert actor_for(store, f"lck_{'f' * 16}_{secret}") is None  # unknown key id
    assert actor_for(store, f"xyz_{alice.key_id}_{secret}") is None  # malformed
    assert actor_for(store, "") is None
    assert run(keys.revoke(store, alice.key_id, clock=lambda: REVOKED_AT)) is True
    assert actor_for(store, alice.key) is None
    assert actor_for(store, bob.key) is not None  # only the revoked key stops working


def test_mint_first_mints_only_while_no_key_exists() -> None:
    store = FakeStore()
    first = mint_first(store)
    assert first is not None
    assert mint_first(store, "other", "someone") is None
    assert list(store.keys) == [first.key_id]
    assert list(store.organizations) == ["acme"]
    assert list(store.users) == [(store.organizations["acme"], "root")]
    assert actor_for(store, first.key) is not None


def test_mint_first_mints_nothing_once_any_key_exists_even_a_revoked_one() -> None:
    store = FakeStore()
    minted = mint(store)
    run(keys.revoke(store, minted.key_id, clock=lambda: REVOKED_AT))
    assert mint_first(store) is None
    assert list(store.keys) == [minted.key_id]


def test_mint_reuses_an_existing_organization_and_user_by_name() -> None:
    store = FakeStore()
    first, again = mint(store, "acme", "alice"), mint(store, "acme", "alice")
    bob, other_alice = mint(store, "acme", "bob"), mint(store, "globex", "alice")
    assert first.key_id != again.key_id and secret_of(first) != secret_of(again)
    alice_actor = actor_for(store, first.key)
    assert alice_actor is not None
    assert actor_for(store, again.key) == alice_actor
    acme = alice_actor.organization_id
    assert actor_for(store, bob.key) == Actor(store.users[(acme, "bob")], acme)
    other = actor_for(store, other_alice.key)
    assert other is not None
    assert other.organization_id != acme
    assert other.user_id != alice_actor.user_id
    assert len(store.organizations) == 2 and len(store.users) == 3


def test_mint_takes_the_creation_time_from_the_clock_and_revoke_the_revocation_time() -> None:
    store = FakeStore()
    minted = mint(store, "acme", "alice")
    assert run(store.list_api_keys()) == [
        ApiKeyListing(minted.key_id, "acme", "alice", MINTED_AT, None)
    ]
    run(keys.revoke(store, minted.key_id, clock=lambda: REVOKED_AT))
    assert run(store.list_api_keys()) == [
        ApiKeyListing(minted.key_id, "acme", "alice", MINTED_AT, REVOKED_AT)
    ]


def test_revoke_is_true_then_false_and_none_for_an_unknown_key() -> None:
    store = FakeStore()
    minted = mint(store)
    assert run(keys.revoke(store, minted.key_id, clock=lambda: REVOKED_AT)) is True
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert run(keys.revoke(store, minted.key_id, clock=lambda: later)) is False
    assert run(store.list_api_keys())[0].revoked_at == REVOKED_AT  # the first revocation stands
    assert run(keys.revoke(store, KEY_ID, clock=lambda: REVOKED_AT)) is None
    assert run(keys.revoke(store, minted.key, clock=lambda: REVOKED_AT)) is None  # not the key


def test_the_store_keeps_the_sha256_of_the_secret_never_the_secret() -> None:
    store = FakeStore()
    minted = mint(store)
    secret = secret_of(minted)
    stored = store.keys[minted.key_id]
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(store.keys) + repr(store.listings)
    assert minted.key not in repr(store.keys) + repr(store.listings)


def test_mint_trims_the_names_it_stores() -> None:
    store = FakeStore()
    mint(store, " \tacme corp\n", "\u3000alice ")
    assert [(k.organization_name, k.user_name) for k in run(store.list_api_keys())] == [
        ("acme corp", "alice")
    ]


@pytest.mark.parametrize(
    "name",
    ["a", "x" * 100, "Zoë Ünïcode 東京 🙂", "O'Brien & Sons / ops-2", "Ωmega\u00a0Ltd", "e\u0301"],
)
def test_a_name_of_1_to_100_characters_without_control_or_format_characters_is_kept(
    name: str,
) -> None:
    assert parse_name(name).text == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "a character other than white space"),
        (" \t\n\r\x0b\x0c\x1c\x85\u2028\u2029\u3000", "a character other than white space"),
        ("x" * 101, "at most 100 characters, not 101"),
        (" " + "x" * 120_000 + " ", "at most 100 characters, not 120000"),
    ],
    ids=["empty", "white-space", "101-characters", "120-KB"],
)
def test_a_name_empty_once_trimmed_or_longer_than_100_characters_is_refused(
    name: str, message: str
) -> None:
    with pytest.raises(InvalidName, match=message):
        parse_name(name)


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("new\nline", "U+000A, a control character"),
        ("nul\x00", "U+0000, a control character"),
        ("\x1b[31mred", "U+001B, a control character"),
        ("del\x7f", "U+007F, a control character"),
        ("next\x85line", "U+0085, a control character"),
        ("evil\u202eexe.txt", "U+202E, a format character"),
        ("isolate\u2066d", "U+2066, a format character"),
        ("zero\u200bwidth", "U+200B, a format character"),
        ("soft\u00adhyphen", "U+00AD, a format character"),
        ("tag\U000e0041", "U+E0041, a format character"),
        ("line\u2028break", "U+2028, a line separator"),
        ("para\u2029break", "U+2029, a paragraph separator"),
        ("lone\udc80byte", "U+DC80, a surrogate"),
        ("private\ue000use", "U+E000, a private-use character"),
        ("unassigned\u0378", "U+0378, an unassigned code point"),
        ("nonchar\uffff", "U+FFFF, an unassigned code point"),
    ],
)
def test_a_name_with_a_control_format_separator_or_non_character_is_refused(
    name: str, refused: str
) -> None:
    with pytest.raises(InvalidName, match=re.escape(refused)):
        parse_name(name)


def test_a_refused_name_is_never_quoted_in_the_message() -> None:
    with pytest.raises(InvalidName) as refused:
        parse_name("x" * 50 + "\x1b[2J" + "y" * 40)
    message = str(refused.value)
    assert message.startswith("character 51 is U+001B, a control character")
    assert message.isprintable() and len(message) < 100 and "x" not in message


@pytest.mark.parametrize("names", [("acme\nfake", "alice"), ("acme", "\u202eecila"), ("", "a")])
def test_mint_refuses_a_bad_name_and_stores_nothing(names: tuple[str, str]) -> None:
    store = FakeStore()
    with pytest.raises(InvalidName):
        mint(store, *names)
    with pytest.raises(InvalidName):
        mint_first(store, *names)
    assert store.keys == {} and store.organizations == {} and store.users == {}


def test_a_name_is_kept_as_written_once_trimmed_and_matched_by_its_case_folded_key() -> None:
    assert parse_name("  Acme Corp\n") == Name("Acme Corp", "acme corp")


@pytest.mark.parametrize(
    "names",
    [
        ("acme", "ACME", "Acme", "aCmE"),
        ("straße", "STRASSE", "Strasse"),  # str.lower() would tell these apart
        ("ΣΑΣ", "σας", "Σας"),  # a final sigma
        # é, composed or as e and an accent
        ("\u00e9t\u00e9", "e\u0301te\u0301", "\u00c9T\u00c9", "E\u0301TE\u0301"),
        ("ǆemal", "ǅemal", "ǄEMAL"),  # a titlecase letter
    ],
)
def test_names_differing_only_in_case_or_unicode_normalization_share_a_key(
    names: tuple[str, ...],
) -> None:
    assert len({parse_name(name).key for name in names}) == 1
    assert parse_name(names[0]).key != parse_name(names[0] + "x").key


def test_mint_matches_names_whatever_their_case_and_lists_them_as_first_written() -> None:
    store = FakeStore()
    first = mint(store, "Acme", "Alice")
    again = (mint(store, "ACME", "alice"), mint(store, " acme ", "ALICE"))
    bob = mint(store, "aCME", "Bob")
    alice = actor_for(store, first.key)
    assert alice is not None
    assert [actor_for(store, minted.key) for minted in again] == [alice, alice]
    assert actor_for(store, bob.key) == Actor(
        store.users[(alice.organization_id, "bob")], alice.organization_id
    )
    assert len(store.organizations) == 1 and len(store.users) == 2
    assert sorted((k.organization_name, k.user_name) for k in run(store.list_api_keys())) == [
        ("Acme", "Alice"), ("Acme", "Alice"), ("Acme", "Alice"), ("Acme", "Bob")
    ]  # fmt: skip
