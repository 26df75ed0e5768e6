"""Command line.

python -m server_impl serve [--host H] [--port P] [--database-url URL]
python -m server_impl keys create --organization NAME --user NAME [--database-url URL]
python -m server_impl keys list [--database-url URL]
python -m server_impl keys revoke KEY_ID [--database-url URL]
"""

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from . import config, keys, schema, workers
from .config import Settings
from .storage import KeyStore, Storage, storage_for

BOOTSTRAP_ORGANIZATION = "default"
BOOTSTRAP_USER = "admin"


def _name(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server_impl")
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url", help="where data is kept (default sqlite:///var/conversations.db)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser(
        "migrate", parents=[database], help="bring the database schema to this release's"
    )

    serve = commands.add_parser("serve", parents=[database], help="serve the API over HTTP")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default 8283)")
    serve.add_argument("--workers", type=int, help="server processes sharing the port (default 1)")

    keys_parser = commands.add_parser("keys", help="mint, list and revoke API keys")
    key_commands = keys_parser.add_subparsers(dest="key_command", required=True)
    create = key_commands.add_parser(
        "create", parents=[database], help="mint a key; prints the key and nothing else"
    )
    create.add_argument("--organization", required=True, type=_name, help="reused if it exists")
    create.add_argument("--user", required=True, type=_name, help="reused if it exists")
    key_commands.add_parser(
        "list", parents=[database], help="one line per key: id, owner, dates (never the key)"
    )
    revoke = key_commands.add_parser("revoke", parents=[database], help="revoke a key at once")
    revoke.add_argument("key_id", help="the id that `keys list` shows")
    return parser


def _settings(args: argparse.Namespace, *names: str) -> Settings:
    given: dict[str, Any] = {
        name: getattr(args, name) for name in names if getattr(args, name, None) is not None
    }
    return Settings(**given)


async def _bootstrap_key(store: KeyStore, settings: Settings) -> None:
    """On first start, mint one key so the server is usable at once; shown only this once."""
    minted = await keys.mint_first(store, organization=BOOTSTRAP_ORGANIZATION, user=BOOTSTRAP_USER)
    if minted is None:
        return
    url = f"http://{settings.host}:{settings.port}"
    print(
        f"No API key existed, so one was minted for user {BOOTSTRAP_USER!r} of organization"
        f" {BOOTSTRAP_ORGANIZATION!r}. It is shown only this once:\n\n"
        f"    {minted.key}\n\n"
        f"Send it as 'Authorization: Bearer <key>', or Letta(base_url={url!r}, api_key=<key>).\n"
        "Mint more with: python -m server_impl keys create --organization NAME --user NAME\n",
        flush=True,
    )


async def _with_storage(database_url: str, work: Callable[[Storage], Awaitable[int]]) -> int:
    storage = storage_for(database_url)
    await storage.open()
    try:
        return await work(storage)
    finally:
        await storage.close()


def _serve(args: argparse.Namespace) -> int:
    settings = _settings(args, "host", "port", "database_url", "workers")
    if settings.workers > 1 and settings.port == 0:
        print("--workers above 1 needs a fixed --port: each worker binds it", file=sys.stderr)
        return 2

    async def bootstrap(storage: Storage) -> int:
        await _bootstrap_key(storage, settings)
        return 0

    asyncio.run(_with_storage(settings.database_url, bootstrap))
    config.export(settings)
    if settings.workers > 1:
        workers.serve(settings)
        return 0
    uvicorn.run(
        "server_impl.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # Off when the level hides them: uvicorn formats each line before the level check.
        access_log=settings.logs_requests,
        loop="uvloop",
        http="httptools",
    )
    return 0


async def _keys(args: argparse.Namespace, storage: Storage) -> int:
    if args.key_command == "create":
        minted = await keys.mint(storage, organization=args.organization, user=args.user)
        print(minted.key)
        return 0
    if args.key_command == "list":
        for key in await storage.list_keys():
            revoked = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
            print(
                f"{key.key_id}  {key.organization_name}/{key.user_name}"
                f"  created {key.created_at.isoformat()}  {revoked}"
            )
        return 0
    outcome = await keys.revoke(storage, args.key_id)
    if outcome is None:
        print(f"no key {args.key_id!r}", file=sys.stderr)
        return 1
    print(f"revoked {args.key_id}" if outcome else f"{args.key_id} was already revoked")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    database_url = _settings(args, "database_url").database_url
    if args.command == "migrate":
        print(f"The database schema is at revision {schema.upgrade(database_url)}.")
        return 0
    try:
        schema.require_current(database_url)
    except schema.SchemaOutOfDate as error:
        print(error, file=sys.stderr)
        return 1
    if args.command == "serve":
        return _serve(args)
    return asyncio.run(_with_storage(database_url, lambda storage: _keys(args, storage)))


if __name__ == "__main__":
    sys.exit(main())
