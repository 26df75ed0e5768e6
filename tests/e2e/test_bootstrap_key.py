"""The first start mints one key so that `make run` is usable at once, and says so only once."""

import re
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support import bearer, start_server

KEY = re.compile(r"^    (lck_\S+)$", re.MULTILINE)


def test_the_first_start_prints_one_working_key_and_later_starts_none(
    tmp_path: Path, engine: str, new_database: Callable[[str], str]
) -> None:
    url = new_database(engine)
    first = start_server(url, tmp_path / "first.log")
    try:
        printed = KEY.findall(first.log_path.read_text())
        assert len(printed) == 1
        assert "Authorization: Bearer" in first.log_path.read_text()
        answer = httpx.get(f"{first.api_url}/conversations/", headers=bearer(printed[0]))
        assert answer.status_code == 200
    finally:
        first.stop()
    second = start_server(url, tmp_path / "second.log")
    try:
        assert KEY.findall(second.log_path.read_text()) == []
        assert "minted" not in second.log_path.read_text()
        answer = httpx.get(f"{second.api_url}/conversations/", headers=bearer(printed[0]))
        assert answer.status_code == 200
    finally:
        second.stop()
