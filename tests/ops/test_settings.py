"""Every numeric setting has documented bounds; every value within them works, and one outside
them is refused by `serve` in one line (exit 2) before anything is served."""

import argparse
import math
import os
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import httpx
import pytest
from annotated_types import Le
from pydantic import ValidationError

from server_impl import settings as settings_module
from server_impl.ops import cli, serving
from server_impl.settings import Settings
from server_impl.storage import store_for
from server_impl.storage.tuning import Tuning
from tests.support import AGENT, in_process, mint_key_in_process, new_sqlite_database


def numeric(name: str) -> bool:
    annotation = Settings.model_fields[name].annotation
    return annotation in (int, float, int | None, float | None)


NUMERIC = [name for name in Settings.model_fields if numeric(name)]


def upper_bound(name: str) -> object:
    bounds = [item.le for item in Settings.model_fields[name].metadata if isinstance(item, Le)]
    return bounds[0] if bounds else None


@pytest.mark.parametrize("name", NUMERIC)
def test_every_numeric_setting_has_an_upper_bound_stated_in_help_and_readme(name: str) -> None:
    bound = upper_bound(name)
    assert bound is not None, name
    option = f"--{name.replace('_', '-')}"
    commands = next(
        action
        for action in cli._parser(cli.PROG)._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    helps = {
        string: action.help
        for action in commands.choices["serve"]._actions
        for string in action.option_strings
    }
    if option in helps:
        assert str(bound) in (helps[option] or ""), (option, helps[option])
    row = next(
        line
        for line in (Path(__file__).parents[2] / "README.md").read_text().splitlines()
        if f"`CONVERSATIONS_{name.upper()}`" in line
    )
    assert f"{bound}" in row, row


OUT_OF_RANGE: list[tuple[str, Any]] = [
    ("idempotency_key_ttl_s", 999999999999),
    ("idempotency_key_ttl_s", 99999999999999999999),
    ("idempotency_key_ttl_s", math.inf),
    ("idempotency_key_ttl_s", math.nan),
    ("idempotency_lease_s", 0),
    ("idempotency_lease_s", 3601),
    ("idempotency_lease_s", math.inf),
    ("head_timeout_s", math.inf),
    ("head_timeout_s", math.nan),
    ("body_timeout_s", 1e300),
    ("keep_alive_s", "inf"),
    ("shutdown_grace_s", math.inf),
    ("shutdown_grace_s", -1),
    ("max_connections", 2**64),
    ("max_body_bytes", 2**63),
    ("max_head_bytes", 10**12),
    ("max_header_fields", 10**9),
    ("workers", 10**6),
    ("port", 65536),
    ("metrics_port", 0),
    ("statement_budget_s", 601),
    ("statement_budget_s", 0),
    ("statement_budget_s", math.inf),
    ("sqlite_readers", 65),
    ("sqlite_readers", 1),
    ("lists_per_organization", 64),
    ("lists_per_organization", 0),
    ("scans_per_organization", 64),
    ("scans_per_organization", 0),
    ("sqlite_busy_timeout_s", -1),
    ("sqlite_busy_timeout_s", 3601),
    ("sqlite_busy_timeout_s", math.nan),
    ("postgres_pool_size", 1),
    ("postgres_pool_size", 1001),
    ("postgres_acquire_timeout_s", 0),
    ("postgres_acquire_timeout_s", math.inf),
    ("postgres_connect_timeout_s", 0),
    ("postgres_connect_timeout_s", 3601),
    ("in_flight_per_organization", 0),
    ("in_flight_per_organization", 65537),
    ("failed_authentications_per_minute", 0),
    ("failed_authentications_per_minute", 1_000_001),
    ("in_flight_per_organization", "offf"),
    ("failed_authentications_per_minute", ""),
    ("key_burst", 0),
    ("key_burst", 1_000_001),
    ("key_rate", "100001/s"),
    ("key_rate", "0/s"),
    ("key_rate", "10/h"),
    ("key_rate", "inf"),
]


@pytest.mark.parametrize(("name", "value"), OUT_OF_RANGE)
def test_a_value_out_of_range_is_refused(name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{name: value})
    assert refused.value.errors()[0]["loc"] == (name,)


def test_every_upper_bound_is_accepted() -> None:
    at_bounds: dict[str, Any] = {name: upper_bound(name) for name in NUMERIC}
    at_bounds["port"] -= 1  # the metrics port, at its bound too, must differ from it
    settings = Settings(**at_bounds)
    assert serving.uvicorn_options(settings)["timeout_keep_alive"] == settings.keep_alive_s


def test_idle_connections_are_kept_longer_than_the_clients_pools_keep_theirs() -> None:
    # At equal times the client reuses a connection just as the server closes it: a reset
    # (httpx.ReadError) for a request that the server never read.
    expiry = httpx.Limits().keepalive_expiry
    assert expiry is not None and Settings().keep_alive_s > expiry


def test_a_keyed_create_works_with_the_longest_idempotency_key_ttl(tmp_path: Path) -> None:
    url = new_sqlite_database(tmp_path)
    key = mint_key_in_process(url)
    ttl = settings_module.MAX_IDEMPOTENCY_KEY_TTL_S
    with in_process(store_for(url), idempotency_key_ttl_s=ttl) as client:
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "k-1"}
        first = client.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=headers)
        again = client.post("/conversations/", params={"agent_id": AGENT}, json={}, headers=headers)
    assert first.status_code == 200, first.text
    assert again.json()["id"] == first.json()["id"]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--idempotency-key-ttl-s", "999999999999"),
        ("--idempotency-key-ttl-s", "99999999999999999999"),
        ("--head-timeout-s", "inf"),
        ("--keep-alive-s", "nan"),
        ("--max-connections", "99999999999999999999"),
        ("--workers", "1000000"),
        ("--statement-budget-s", "601"),
        ("--sqlite-readers", "65"),
        ("--lists-per-organization", "64"),
        ("--scans-per-organization", "0"),
        ("--sqlite-busy-timeout-s", "-1"),
        ("--postgres-pool-size", "1"),
        ("--postgres-acquire-timeout-s", "nan"),
        ("--postgres-connect-timeout-s", "0"),
        ("--in-flight-per-organization", "0"),
        ("--failed-authentications-per-minute", "1000001"),
        ("--in-flight-per-organization", "none"),
        ("--failed-authentications-per-minute", "of"),
        ("--key-rate", "fast"),
        ("--key-burst", "0"),
        ("--trusted-proxies", "not-an-ip,10.0.0.0/33"),
        ("--trusted-proxies", "10.0.0.0/8,10.0.0.0/33"),
        ("--trusted-proxies", "*,10.0.0.1"),
    ],
)
def test_serve_refuses_a_value_out_of_range_in_one_line_before_serving(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    value: str,
) -> None:
    def served(*_args: Any) -> Any:
        raise AssertionError(f"served with {option} {value}")

    monkeypatch.setattr(serving, "claim_port", served)
    url = new_sqlite_database(tmp_path)
    assert cli.main(["serve", option, value, "--database-url", url]) == 2
    lines = capsys.readouterr().err.splitlines()
    variable = "CONVERSATIONS_" + option.removeprefix("--").replace("-", "_").upper()
    assert len(lines) == 1 and lines[0].startswith(f"{cli.PROG}: {option} (or {variable})"), lines


def test_trusted_proxies_are_addresses_or_networks_and_a_bad_one_is_named() -> None:
    assert Settings(trusted_proxies=" 10.0.0.1, 192.168.0.0/16 ,::1").trusted_networks == (
        ip_network("10.0.0.1/32"),
        ip_network("192.168.0.0/16"),
        ip_network("::1/128"),
    )
    assert Settings(trusted_proxies="*").trusted_networks == settings_module.EVERY_ADDRESS
    for bad, named in [("not-an-ip,10.0.0.0/33", "not-an-ip"), ("10.0.0.0/33", "10.0.0.0/33")]:
        with pytest.raises(ValidationError, match=f"'{named}' is neither an IP address nor a"):
            Settings(trusted_proxies=bad)


def test_settings_that_contradict_each_other_are_refused_in_one_line_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "claim_port", None)
    url = new_sqlite_database(tmp_path)
    assert cli.main(["serve", "--no-metrics", "--metrics-port", "9100", "--database-url", url]) == 2
    assert capsys.readouterr().err == (
        f"{cli.PROG}: --metrics-port (CONVERSATIONS_METRICS_PORT) serves metrics, which"
        " --no-metrics (CONVERSATIONS_METRICS=false) turns off\n"
    )


@pytest.mark.parametrize(
    ("option", "variable", "what"),
    [
        ("--sqlite-readers", "CONVERSATIONS_SQLITE_READERS", "a reader"),
        ("--postgres-pool-size", "CONVERSATIONS_POSTGRES_POOL_SIZE", "a connection"),
    ],
)
def test_lists_of_one_organization_that_could_take_every_connection_are_refused(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    option: str,
    variable: str,
    what: str,
) -> None:
    monkeypatch.setattr(serving, "claim_port", None)
    url = new_sqlite_database(tmp_path)
    arguments = ["serve", option, "3", "--lists-per-organization", "3"]
    assert cli.main([*arguments, "--database-url", url]) == 2
    assert capsys.readouterr().err == (
        f"{cli.PROG}: --lists-per-organization (CONVERSATIONS_LISTS_PER_ORGANIZATION) must be"
        f" below {option} ({variable}), so that one organization's lists always leave {what}"
        " to the others\n"
    )


def test_more_scans_than_list_pages_of_an_organization_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "claim_port", None)
    url = new_sqlite_database(tmp_path)
    arguments = ["serve", "--scans-per-organization", "3", "--lists-per-organization", "2"]
    assert cli.main([*arguments, "--database-url", url]) == 2
    assert capsys.readouterr().err == (
        f"{cli.PROG}: --scans-per-organization (CONVERSATIONS_SCANS_PER_ORGANIZATION) must be at"
        " most --lists-per-organization (CONVERSATIONS_LISTS_PER_ORGANIZATION): a scan is one of"
        " the organization's list pages\n"
    )


def test_every_storage_setting_reaches_the_store() -> None:
    # Each field of storage/tuning.py is a setting of the same name, handed on as it was set.
    set_to: dict[str, Any] = {
        "statement_budget_s": 7.5,
        "lists_per_organization": 3,
        "scans_per_organization": 2,
        "sqlite_readers": 5,
        "sqlite_busy_timeout_s": 0.25,
        "postgres_pool_size": 4,
        "postgres_acquire_timeout_s": 0.5,
        "postgres_connect_timeout_s": 1.5,
    }
    assert Settings(**set_to).storage == Tuning(**set_to)
    assert Settings().storage == Tuning()


@pytest.mark.parametrize("name", sorted(settings_module.SWITCHED_OFF))
def test_off_turns_a_cap_off_by_option_or_variable_and_reaches_the_workers(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = f"CONVERSATIONS_{name.upper()}"
    off: dict[str, Any] = {name: "off"}
    assert getattr(Settings(**off), name) is None
    monkeypatch.setenv(variable, " OFF ")
    assert getattr(Settings(), name) is None
    # `serve --workers N` hands its settings on through the environment: off stays off there,
    # rather than falling back to the default cap.
    monkeypatch.setattr(os, "environ", {})
    settings_module.export(Settings(**off))
    assert os.environ[variable] == "off"
    assert getattr(Settings(), name) is None


def test_a_switch_that_is_neither_a_number_in_range_nor_off_names_both_forms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "claim_port", None)
    url = new_sqlite_database(tmp_path)
    assert cli.main(["serve", "--in-flight-per-organization", "no", "--database-url", url]) == 2
    assert capsys.readouterr().err == (
        f"{cli.PROG}: --in-flight-per-organization (or CONVERSATIONS_IN_FLIGHT_PER_ORGANIZATION):"
        " must be a whole number from 1 to 65536, or off\n"
    )
