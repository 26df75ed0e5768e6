"""The lean peers of `make bench` stay honest: for the same requests on the same database they
answer what this server answers (status, body, ETag), refuse what it refuses, and scope by
organization as it does. Each system is started exactly as `make bench` starts it."""

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.run import ORGANIZATION, USER, Database, prepare, serve
from tests.support import COVERAGE_CHILDREN, PostgresCluster, bearer, cli, mint_key_in_process

PEERS = ["Litestar lean peer", "FastAPI lean peer"]
OURS = "this server"
CEILING = "connexion ceiling"
# Applied by this server and by each peer to a conversation of its own: together they cover
# merge-patch (set, clear, keep), archiving and unknown fields.
PATCHES: list[dict[str, Any]] = [
    # Every field, so that conversations bench.run made alike but for these start the same.
    {"summary": "first", "last_message_at": None, "archived": False},
    {"summary": "second"},
    {"summary": None, "description": "d", "model": "openai/gpt-4o-mini"},
    {"context_window_limit": 128000, "last_message_at": "2026-01-01T10:00:00.5+02:00"},
    {"archived": True},
    {"archived": True, "summary": "kept archived_at"},
    {"model_settings": {"provider_type": "openai", "temperature": 1, "extra": [1]}},
    {"archived": None, "model_settings": None, "unknown": 1},
    {},
]
INVALID_BODIES: list[dict[str, Any]] = [
    {"summary": 5},
    {"summary": "x" * 10_001},
    {"summary": "a\x00b"},
    {"model": "no-provider"},
    {"context_window_limit": 0},
    {"context_window_limit": 100_000_001},
    {"last_message_at": "0001-06-01T00:00:00Z"},
    {"last_message_at": "2026-01-01T10:00:00"},
    {"model_settings": {"provider_type": "nobody"}},
    {"archived": "maybe"},
]
# This server answers a broken contract with 422; Litestar's own validation answers 400.
REFUSED = {400, 422}


@pytest.fixture(scope="module")
def database(
    engine: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Database:
    if engine == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.db'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        url = cluster.new_database()
    return prepare(url, 1 + 2 * len(PEERS))


@pytest.fixture(scope="module")
def revoked_key(database: Database) -> str:
    """A key of the same user as the bench's, revoked."""
    key = mint_key_in_process(database.url, ORGANIZATION, USER)
    assert cli("keys", "revoke", key.split("_")[1], database_url=database.url).returncode == 0
    return key


@pytest.fixture(scope="module")
def clients(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, httpx.Client]]:
    log = tmp_path_factory.mktemp("bench-log") / "servers.log"
    running: list[subprocess.Popen[bytes]] = []
    clients = {}
    try:
        for system in [OURS, *PEERS, CEILING]:
            with pytest.MonkeyPatch.context() as environment:
                if system in PEERS:  # they run none of server_impl: see tool_environment
                    environment.delenv(COVERAGE_CHILDREN, raising=False)
                process, base = serve(system, database, log)
            running.append(process)
            clients[system] = httpx.Client(
                base_url=f"{base}/v1/conversations/", headers=bearer(database.key), timeout=10
            )
        yield clients
    finally:
        for process in running:
            process.terminate()
            process.wait()
    assert "Traceback" not in Path(log).read_text()


def _as_compared(body: dict[str, Any]) -> dict[str, Any]:
    """What two conversations with the same history share: not their ids nor their times (but
    whether archived_at is set)."""
    compared = {**body, "archived_at": body["archived_at"] is not None}
    for name in ("id", "created_at", "updated_at"):
        del compared[name]
    return compared


@pytest.mark.parametrize("peer", PEERS)
def test_retrieve_and_update_answer_as_this_server_does(
    clients: dict[str, httpx.Client], database: Database, peer: str
) -> None:
    """This server and the peer each apply the same merge-patches to a conversation of their
    own, which each then retrieves from the other."""
    ours, theirs = clients[OURS], clients[peer]
    listed = [c["id"] for c in ours.get("", params={"limit": 50}).json()]
    others = [id_ for id_ in listed if id_ != database.conversation_id]
    # A conversation of its own per system and peer; the target is left to the other tests.
    mine, yours = others[2 * PEERS.index(peer) : 2 * PEERS.index(peer) + 2]
    before: dict[str, dict[str, Any]] = {}
    for patch in PATCHES:
        answers = {}
        for name, client, conversation in [(OURS, ours, mine), (peer, theirs, yours)]:
            answer = client.patch(conversation, json=patch)
            assert answer.status_code == 200, (name, patch, answer.text)
            body = answer.json()
            if patch.get("archived") and before.get(name, {}).get("archived_at"):
                assert body["archived_at"] == before[name]["archived_at"], (name, patch)
            assert body["updated_at"] >= before.get(name, body)["updated_at"]
            before[name] = body
            answers[name] = answer
            # What one wrote, the other reads back as written, with the same ETag.
            for reader in (ours, theirs):
                retrieved = reader.get(conversation)
                assert retrieved.status_code == 200, (name, patch)
                assert retrieved.json() == body, (name, patch)
                assert retrieved.headers["ETag"] == answer.headers["ETag"], (name, patch)
        assert _as_compared(answers[peer].json()) == _as_compared(answers[OURS].json()), patch
        assert answers[peer].headers["ETag"] == answers[OURS].headers["ETag"], patch


@pytest.mark.parametrize("peer", PEERS)
def test_if_match_is_honoured_as_this_server_does(
    clients: dict[str, httpx.Client], database: Database, peer: str
) -> None:
    conversation = database.conversation_id
    for client in (clients[OURS], clients[peer]):
        current = client.get(conversation).headers["ETag"]
        stale = f'"{int(current.strip(chr(34))) - 1}"'
        for if_match, status in [
            (stale, 412),
            (f"W/{current}", 412),
            (f"{stale}, {current}", 200),
            ("*", 200),
        ]:
            answer = client.patch(conversation, json={}, headers={"If-Match": if_match})
            assert answer.status_code == status, (client.base_url, if_match)
        missing = conversation[:-12] + "0" * 12
        assert client.patch(missing, json={}, headers={"If-Match": "*"}).status_code == 404


@pytest.mark.parametrize("system", [OURS, *PEERS])
def test_keys_and_organizations_are_checked(
    clients: dict[str, httpx.Client], database: Database, revoked_key: str, system: str
) -> None:
    client, conversation = clients[system], database.conversation_id
    other_organization = mint_key_in_process(database.url, "elsewhere", system)
    for headers, status in [
        ({"Authorization": ""}, 401),
        (bearer(database.key + "x"), 401),
        (bearer(database.key.rsplit("_", 1)[0] + "_" + "A" * 43), 401),
        ({"Authorization": f"Basic {database.key}"}, 401),
        (bearer(revoked_key), 401),
        (bearer(other_organization), 404),
    ]:
        assert client.get(conversation, headers=headers).status_code == status, headers
        answer = client.patch(conversation, json={"summary": "no"}, headers=headers)
        assert answer.status_code == status, headers
    assert client.get(conversation).json()["summary"] != "no"


@pytest.mark.parametrize("system", [OURS, *PEERS])
def test_invalid_ids_and_bodies_are_refused(
    clients: dict[str, httpx.Client], database: Database, system: str
) -> None:
    client, conversation = clients[system], database.conversation_id
    for invalid_id in ["conv-1", conversation.upper().replace("CONV", "conv"), conversation + "0"]:
        assert client.get(invalid_id).status_code in REFUSED, invalid_id
    for body in INVALID_BODIES:
        assert client.patch(conversation, json=body).status_code in REFUSED, body


def test_the_connexion_ceiling_does_connexion_s_work(
    clients: dict[str, httpx.Client], database: Database
) -> None:
    """It bounds what connexion lets a server serve only if connexion does there what it does
    here: a key is required, the id and the body are validated against the spec, and the answer
    is a conversation as large as this server's."""
    ceiling, ours, conversation = clients[CEILING], clients[OURS], database.conversation_id
    assert ceiling.get(conversation, headers={"Authorization": ""}).status_code == 401
    for invalid_id in ["conv-1", conversation.upper().replace("CONV", "conv"), conversation + "0"]:
        assert ceiling.get(invalid_id).status_code in REFUSED, invalid_id
    for body in INVALID_BODIES:
        assert ceiling.patch(conversation, json=body).status_code in REFUSED, body
    answer, ours_answer = ceiling.get(conversation), ours.get(conversation)
    assert answer.status_code == ceiling.patch(conversation, json=PATCHES[0]).status_code == 200
    assert answer.json().keys() == ours_answer.json().keys()
    assert abs(len(answer.content) - len(ours_answer.content)) < 100
