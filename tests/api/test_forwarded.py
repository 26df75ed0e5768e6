"""Behind trusted proxies, the client of the access line is the address X-Forwarded-For names,
and only an IP address: any other entry leaves the peer as the client, and no entry forges a
field of the line."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server_impl.observability import logs
from server_impl.storage import store_for
from tests.support import AccessLines, in_process, new_sqlite_database

PROXY = ("10.0.0.5", 40000)


def access_client(client: TestClient, access_lines: AccessLines, **headers: str) -> str:
    """The client that the access line of a GET /v1/health with headers names, in its text."""
    access_lines.clear()
    assert client.get("/health", headers=headers).status_code == 200
    (record,) = access_lines()
    line = record["message"]
    assert line.count(" key=") == 1 and line.count(" org=") == 1, line
    shown = line.rsplit(" client=", 1)[1]
    named = str(record["client"])
    assert shown == logs.field(named), line
    return named


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return new_sqlite_database(tmp_path)


@pytest.fixture(scope="module")
def behind_proxy(module_sqlite_url: str) -> Iterator[TestClient]:
    """One app for the module: each test only asks for /health and reads the access line of
    that request (access_lines, patched in for the test and cleared before it asks)."""
    store = store_for(module_sqlite_url)
    with in_process(store, peer=PROXY, trusted_proxies="10.0.0.0/8, 192.0.2.1") as client:
        yield client


@pytest.mark.parametrize(
    ("forwarded_for", "client"),
    [
        ("203.0.113.9", "203.0.113.9"),
        # Each proxy appends the address it was reached from: the nearest untrusted one is it.
        ("198.51.100.1, 203.0.113.9, 10.0.0.7, 192.0.2.1", "203.0.113.9"),
        ("10.0.0.8, 10.0.0.7", "10.0.0.8"),
        ("203.0.113.9:5555", "203.0.113.9"),
        ("[2001:DB8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("203.0.113.9 key=k0000000000000000 org=org-forged", "10.0.0.5"),
        ("203.0.113.9\tkey=k", "10.0.0.5"),
        ("x" * 60_000, "10.0.0.5"),
        ("1" * 60_000, "10.0.0.5"),
        ("unknown", "10.0.0.5"),
        ("", "10.0.0.5"),
        ("fe80::1%eth0", "10.0.0.5"),
        ("203.0.113.9:http", "10.0.0.5"),
        ("[2001:db8::1]x", "10.0.0.5"),
        # An entry passed on the way that is not an address: nothing behind it can be believed.
        ("203.0.113.9, not-an-ip, 10.0.0.7", "10.0.0.5"),
    ],
    ids=lambda value: repr(value[:40]),
)
def test_only_an_ip_address_from_a_trusted_proxy_becomes_the_client(
    behind_proxy: TestClient, access_lines: AccessLines, forwarded_for: str, client: str
) -> None:
    assert access_client(behind_proxy, access_lines, **{"X-Forwarded-For": forwarded_for}) == client


def test_x_forwarded_for_from_a_peer_not_trusted_is_ignored(
    sqlite_url: str, access_lines: AccessLines
) -> None:
    store = store_for(sqlite_url)
    with in_process(store, peer=("198.51.100.7", 1), trusted_proxies="10.0.0.0/8") as client:
        assert access_client(client, access_lines, **{"X-Forwarded-For": "203.0.113.9"}) == (
            "198.51.100.7"
        )


def test_trusting_every_address_takes_the_farthest_entry_if_it_is_an_address(
    sqlite_url: str, access_lines: AccessLines
) -> None:
    with in_process(store_for(sqlite_url), peer=PROXY, trusted_proxies="*") as client:
        farthest = {"X-Forwarded-For": "203.0.113.9, 198.51.100.1"}
        assert access_client(client, access_lines, **farthest) == "203.0.113.9"
        forged = {"X-Forwarded-For": "203.0.113.9 org=x, 198.51.100.1"}
        assert access_client(client, access_lines, **forged) == "10.0.0.5"
