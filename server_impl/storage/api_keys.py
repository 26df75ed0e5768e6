"""API keys, the users and organizations they act as, their rate limits and allowances, each
statement beside the method that runs it."""

import functools
from collections.abc import Callable
from datetime import datetime

from server_impl.domain.ports import ApiKeyListing, ApiKeyOwner, KeyLimit, Name

from .sql import Engine, Params, Query, Row


def _limit_params(limit: KeyLimit | None) -> dict[str, object]:
    if limit is None:
        return {"rate_per_s": None, "burst": None}
    return {"rate_per_s": limit.rate_per_s, "burst": limit.burst}


def _limit(row: Row) -> KeyLimit | None:
    if row["rate_per_s"] is None:
        return None
    return KeyLimit(rate_per_s=row["rate_per_s"], burst=row["burst"])


class SqlApiKeys(Engine):
    """The ApiKeyStore and AllowanceStore of server_impl.domain.ports."""

    _any_api_key = Query("SELECT 1 FROM api_keys LIMIT 1")
    # Names are matched by their keys, whose unique indexes make a racing writer's insert
    # wait for ours, then do nothing: both read the same row.
    _insert_organization = Query(
        "INSERT INTO organizations (id, name, name_key, created_at)"
        " VALUES (:id, :name, :name_key, :created_at) ON CONFLICT (name_key) DO NOTHING"
    )
    _organization_id = Query("SELECT id FROM organizations WHERE name_key = :name_key")
    _insert_user = Query(
        "INSERT INTO users (id, organization_id, name, name_key, created_at)"
        " VALUES (:id, :organization_id, :name, :name_key, :created_at)"
        " ON CONFLICT (organization_id, name_key) DO NOTHING"
    )
    _user_id = Query(
        "SELECT id FROM users WHERE organization_id = :organization_id AND name_key = :name_key"
    )
    _insert_api_key = Query(
        "INSERT INTO api_keys (id, user_id, secret_hash, created_at, rate_per_s, burst)"
        " VALUES (:id, :user_id, :secret_hash, :created_at, :rate_per_s, :burst)"
    )

    async def insert_api_key(
        self,
        *,
        key_id: str,
        secret_hash: str,
        organization: Name,
        user: Name,
        new_organization_id: str,
        new_user_id: str,
        created_at: datetime,
        only_if_first: bool = False,
        limit: KeyLimit | None = None,
    ) -> bool:
        stamp = self._time(created_at)
        async with self._transaction(lock_api_keys=only_if_first) as session:
            if only_if_first and await session.one(self._any_api_key, {}):
                return False
            name_key = {"name_key": organization.key}
            await session.run(
                self._insert_organization,
                {
                    **name_key,
                    "id": new_organization_id,
                    "name": organization.text,
                    "created_at": stamp,
                },
            )
            found_organization = await session.one(self._organization_id, name_key)
            assert found_organization is not None, "inserted or found just now, in this transaction"
            in_organization = {"organization_id": found_organization["id"], "name_key": user.key}
            await session.run(
                self._insert_user,
                {**in_organization, "id": new_user_id, "name": user.text, "created_at": stamp},
            )
            found_user = await session.one(self._user_id, in_organization)
            assert found_user is not None, "inserted or found just now, in this transaction"
            await session.run(
                self._insert_api_key,
                {
                    "id": key_id,
                    "user_id": found_user["id"],
                    "secret_hash": secret_hash,
                    "created_at": stamp,
                    **_limit_params(limit),
                },
            )
        return True

    _api_key_owner = Query(
        "SELECT k.id, k.secret_hash, k.revoked_at, k.rate_per_s, k.burst,"
        " u.id AS user_id, u.organization_id"
        " FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = :id"
    )

    async def api_key_owner(self, key_id: str) -> ApiKeyOwner | None:
        row = await self._one(self._api_key_owner, {"id": key_id})
        if row is None:
            return None
        return ApiKeyOwner(
            key_id=row["id"],
            secret_hash=row["secret_hash"],
            user_id=row["user_id"],
            organization_id=row["organization_id"],
            revoked=row["revoked_at"] is not None,
            limit=_limit(row),
        )

    _list_api_keys = Query(
        "SELECT k.id, o.name AS organization_name, u.name AS user_name, k.created_at,"
        " k.revoked_at, k.rate_per_s, k.burst FROM api_keys k JOIN users u ON u.id = k.user_id"
        " JOIN organizations o ON o.id = u.organization_id ORDER BY k.created_at, k.id"
    )

    async def list_api_keys(self) -> list[ApiKeyListing]:
        async with self._connection() as session:
            rows = await session.all(self._list_api_keys, {})
        return [
            ApiKeyListing(
                key_id=row["id"],
                organization_name=row["organization_name"],
                user_name=row["user_name"],
                created_at=self._read_time(row["created_at"]),
                revoked_at=None
                if row["revoked_at"] is None
                else self._read_time(row["revoked_at"]),
                limit=_limit(row),
            )
            for row in rows
        ]

    @functools.cached_property
    def _api_key_revoked_at(self) -> Query:
        return Query(f"SELECT revoked_at FROM api_keys WHERE id = :id{self.dialect.lock_row}")

    _revoke_api_key = Query("UPDATE api_keys SET revoked_at = :revoked_at WHERE id = :id")

    async def revoke_api_key(self, key_id: str, revoked_at: datetime) -> bool | None:
        async with self._transaction() as session:
            row = await session.one(self._api_key_revoked_at, {"id": key_id})
            if row is None:
                return None
            if row["revoked_at"] is not None:
                return False
            await session.run(
                self._revoke_api_key, {"id": key_id, "revoked_at": self._time(revoked_at)}
            )
            return True

    _set_api_key_limit = Query(
        "UPDATE api_keys SET rate_per_s = :rate_per_s, burst = :burst WHERE id = :id RETURNING id"
    )

    async def set_api_key_limit(self, key_id: str, limit: KeyLimit | None) -> bool:
        row = await self._one(self._set_api_key_limit, {"id": key_id, **_limit_params(limit)})
        return row is not None

    # One statement makes the key's row if it has none and locks it either way (the update
    # changes nothing), answering its allowance; a racing lease waits for this one's commit.
    _lock_allowance = Query(
        "INSERT INTO key_allowances (key_id, tat) VALUES (:key_id, 0)"
        " ON CONFLICT (key_id) DO UPDATE SET tat = key_allowances.tat RETURNING tat"
    )
    _store_allowance = Query("UPDATE key_allowances SET tat = :tat WHERE key_id = :key_id")

    async def lease_allowance(self, key_id: str, take: Callable[[float], float]) -> None:
        params: Params = {"key_id": key_id}
        async with self._transaction() as session:
            row = await session.one(self._lock_allowance, params)
            assert row is not None, "the upsert answers the row it made or locked"
            await session.run(self._store_allowance, {**params, "tat": take(row["tat"])})
