"""The clients the client tests make are cheap to make."""

import ssl

import pytest

from tests.client.faults import AsyncFaults, Faults
from tests.support import Served


@pytest.mark.parametrize("fixture", ["client", "raw"])
def test_a_client_of_the_client_tests_loads_no_ca_bundle(
    server: Served,
    key: str,
    fixture: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server speaks plain HTTP; a bundle loaded for each client cost 25 ms of CPU a test.
    loaded: list[object] = []
    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", lambda *args: loaded.append(args))
    request.getfixturevalue(fixture)
    Faults([]).close()
    AsyncFaults([])
    assert loaded == []
