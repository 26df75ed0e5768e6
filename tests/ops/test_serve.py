"""`serve` refuses to start where it cannot serve, before it changes anything."""

import socket
from pathlib import Path

import pytest

from server_impl.api import app as app_module
from server_impl.ops.cli import main
from tests.support import (
    Served,
    cli,
    cli_process,
    free_port,
    migrate,
    new_sqlite_database,
    serve_in_thread,
    start_server,
)


@pytest.mark.parametrize(("first_workers", "second_workers"), [("2", "2"), ("2", "1"), ("1", "2")])
def test_serve_on_a_port_another_server_serves_fails_and_mints_no_key(
    tmp_path: Path, first_workers: str, second_workers: str
) -> None:
    # Workers share their port through SO_REUSEPORT, which would also let a second server's
    # workers join it: the two would split the traffic, each refusing the other's keys.
    first_url = f"sqlite:///{tmp_path / 'first.db'}"
    second_url = f"sqlite:///{tmp_path / 'second.db'}"
    migrate(first_url)
    migrate(second_url)
    port = free_port()
    # One process serves on the port as a server in a thread does (serving.claim_port); workers
    # are a process.
    first: Served = (
        serve_in_thread(first_url, tmp_path / "first.log", port=port)
        if first_workers == "1"
        else start_server(
            first_url, tmp_path / "first.log", port=port, CONVERSATIONS_WORKERS=first_workers
        )
    )
    try:
        second = cli(
            "serve", "--port", str(port), "--workers", second_workers, database_url=second_url
        )
    finally:
        first.stop()
    assert second.returncode == 1
    assert second.stderr.strip() == f"Cannot serve on 127.0.0.1:{port}: Address already in use."
    assert "lck_" not in second.stdout
    assert cli("keys", "list", database_url=second_url).stdout == ""


def test_serve_on_a_port_held_by_another_program_fails_with_one_line(tmp_path: Path) -> None:
    # A process of its own: the exit status of `python -m server_impl` is what is tested.
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    migrate(url)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        result = cli_process("serve", "--port", str(port), database_url=url)
    assert result.returncode == 1
    assert result.stderr.strip() == f"Cannot serve on 127.0.0.1:{port}: Address already in use."
    assert "lck_" not in result.stdout


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_metrics_port_equal_to_the_api_port_is_refused_before_serving(
    tmp_path: Path, workers: str
) -> None:
    # Served there, the metrics would answer every path, /v1/health included, in the API's place.
    # A server that does not refuse serves on, and cli() fails the test after a minute.
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    migrate(url)
    port = str(free_port())
    result = cli(
        "serve", "--port", port, "--metrics-port", port, "--workers", workers, database_url=url
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "python -m server_impl: --metrics-port (or CONVERSATIONS_METRICS_PORT): must differ from"
        f" the API's port ({port})"
    ]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_metrics_port_held_by_another_program_fails_with_one_line_and_mints_no_key(
    tmp_path: Path, workers: str
) -> None:
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    migrate(url)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        metrics_port = held.getsockname()[1]
        result = cli(
            "serve", "--port", str(free_port()), "--metrics-port", str(metrics_port),
            "--workers", workers, database_url=url,
        )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"Cannot serve metrics on 127.0.0.1:{metrics_port}: Address already in use."
    )
    assert "lck_" not in result.stdout
    assert cli("keys", "list", database_url=url).stdout == ""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_whose_app_cannot_load_fails_with_one_line_and_mints_no_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    workers: str,
) -> None:
    # An installation without its spec: the first start's key would be minted for a server that
    # never serves, and shown only that once. In process: a server that does start serves on.
    url = new_sqlite_database(tmp_path)
    missing = tmp_path / "gone/openapi.yaml"
    monkeypatch.setattr(app_module, "SPEC_PATH", missing)
    try:
        code = main(
            ["serve", "--port", str(free_port()), "--workers", workers, "--database-url", url]
        )
    finally:
        assert cli("keys", "list", database_url=url).stdout == ""
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"conversations-server: cannot load the app: [Errno 2] No such file or directory:"
        f" '{missing}'"
    ]
