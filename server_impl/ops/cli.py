"""The command line: `conversations-server` (or `python -m server_impl`) and its subcommands."""

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn
from pydantic import ValidationError

from server_impl import settings as settings_module
from server_impl.domain import keys, rate_limits
from server_impl.domain.ports import KeyLimit, KeyStore, Store
from server_impl.observability import logs
from server_impl.settings import Settings
from server_impl.storage import migrate, store_for
from server_impl.storage.urls import UnsupportedDatabaseUrl

from . import moving, serving, workers
from .metrics_listener import MetricsListener

PROG = "conversations-server"
LOG = logging.getLogger("conversations.serve")
BOOTSTRAP_ORGANIZATION = "default"
BOOTSTRAP_USER = "admin"


SERVE_LIMITS: dict[str, tuple[type, str]] = {
    "max_head_bytes": (
        int,
        "The largest request head (request line and headers) in bytes; a larger one is answered"
        " 431. From 1024 to 1048576. Defaults to CONVERSATIONS_MAX_HEAD_BYTES, else 65536.",
    ),
    "max_header_fields": (
        int,
        "The most header fields in one request; more are answered 431. From 10 to 1000."
        " Defaults to CONVERSATIONS_MAX_HEADER_FIELDS, else 100.",
    ),
    "head_timeout_s": (
        float,
        "Seconds a connection has to deliver a whole request head before it is closed. Defaults"
        " to CONVERSATIONS_HEAD_TIMEOUT_S, else 10. Above 0, at most 3600.",
    ),
    "body_timeout_s": (
        float,
        "Seconds a request's body has to arrive after its head before the connection is closed"
        " and the request fails, changing nothing. Above 0, at most 3600. Defaults to"
        " CONVERSATIONS_BODY_TIMEOUT_S, else 30.",
    ),
    "keep_alive_s": (
        float,
        "Seconds an idle keep-alive connection stays open. Above 0, at most 3600. Defaults to"
        " CONVERSATIONS_KEEP_ALIVE_S, else 5.",
    ),
    "shutdown_grace_s": (
        float,
        "Seconds that requests in flight have to finish after SIGTERM before the server exits"
        " anyway. From 0 to 3600. Defaults to CONVERSATIONS_SHUTDOWN_GRACE_S, else 10.",
    ),
    "max_connections": (
        int,
        "The most open connections per process; past it the longest idle one is closed, and"
        " when none is idle a request is answered 503 with Retry-After. From 1 to 65536."
        " Defaults to CONVERSATIONS_MAX_CONNECTIONS, else 1024 or what the open-file limit"
        " leaves room for.",
    ),
    "idempotency_key_ttl_s": (
        float,
        "Seconds an Idempotency-Key is remembered after its first request: a retry within them"
        " gets the stored answer, and later the key is forgotten. Above 0, at most 315360000"
        " (10 years). Defaults to CONVERSATIONS_IDEMPOTENCY_KEY_TTL_S, else 86400 (24 h).",
    ),
    "statement_budget_s": (
        float,
        "Seconds a database statement may run before it is ended and its request answered 503"
        " with Retry-After, changing nothing: on SQLite each read, on PostgreSQL every"
        " statement (its statement_timeout). From 0.001 to 600. Defaults to"
        " CONVERSATIONS_STATEMENT_BUDGET_S, else 5.",
    ),
    "sqlite_readers": (
        int,
        "Connections (each on a thread of its own) that read a SQLite database beside its one"
        " writer, off the event loop. From 2 to 64. Defaults to CONVERSATIONS_SQLITE_READERS,"
        " else 4.",
    ),
    "lists_per_organization": (
        int,
        "The most list pages of one organization read at once per process; more wait their"
        " turn, so one organization's slow lists leave connections to the others. From 1 to"
        " 63, below --sqlite-readers and --postgres-pool-size. Defaults to"
        " CONVERSATIONS_LISTS_PER_ORGANIZATION, else 2.",
    ),
    "sqlite_busy_timeout_s": (
        float,
        "Seconds a write to a SQLite database waits for another process's lock (another worker's"
        " write) before its request is answered 503 with Retry-After, changing nothing. From 0"
        " to 3600. Defaults to CONVERSATIONS_SQLITE_BUSY_TIMEOUT_S, else 5.",
    ),
    "postgres_pool_size": (
        int,
        "The most connections each process holds to PostgreSQL (opened as needed). From 2 to"
        " 1000; the database must accept this many per process and replica. Defaults to"
        " CONVERSATIONS_POSTGRES_POOL_SIZE, else 10.",
    ),
    "postgres_acquire_timeout_s": (
        float,
        "Seconds a request waits for a free PostgreSQL connection of the pool before it is"
        " answered 503 with Retry-After, changing nothing. Above 0, at most 3600. Defaults to"
        " CONVERSATIONS_POSTGRES_ACQUIRE_TIMEOUT_S, else 2.",
    ),
    "postgres_connect_timeout_s": (
        float,
        "Seconds opening a connection to PostgreSQL may take before the request that needs it"
        " is answered 503 with Retry-After. Above 0, at most 3600. Defaults to"
        " CONVERSATIONS_POSTGRES_CONNECT_TIMEOUT_S, else 2.",
    ),
    "in_flight_per_organization": (
        str,  # a number or off, checked by Settings
        "The most requests of one organization served at once per process; one more is"
        " answered 429 with Retry-After, changing nothing, while other organizations are served."
        " From 1 to 65536, or off for no cap. Defaults to"
        " CONVERSATIONS_IN_FLIGHT_PER_ORGANIZATION, else 100.",
    ),
    "failed_authentications_per_minute": (
        str,  # a number or off, checked by Settings
        "Requests answered 401 (no key, or a bad one) per client address per process: a burst"
        " of N, then one every 60/N seconds; past that the address's requests (but the health"
        " probes) are answered 429 with Retry-After before any key is read. From 1 to 1000000,"
        " or off for no limit. Defaults to CONVERSATIONS_FAILED_AUTHENTICATIONS_PER_MINUTE,"
        " else 6000.",
    ),
    "key_rate": (
        str,
        "Each API key's sustained rate of requests unless the key has its own (keys create"
        " --rate, keys limit): N/s or N/min, above 0 and at most 100000/s, shared by every"
        " worker and replica on the database; past it a request is answered 429 with"
        " Retry-After. off sets no default. Defaults to CONVERSATIONS_KEY_RATE, else 10000/s.",
    ),
    "key_burst": (
        int,
        "How many requests each API key may send at once, on top of its rate, unless it has its"
        " own. From 1 to 1000000. Defaults to CONVERSATIONS_KEY_BURST, else 20000.",
    ),
}
"""The options of `serve` that bound what clients can hold, connections and requests and the
keys they leave behind: setting name → (type, help)."""

SERVE_OPERATIONS: dict[str, dict[str, Any]] = {
    "log_level": {
        "choices": ["critical", "error", "warning", "info", "debug"],
        "help": "The least severe lines logged; at info and below, one access line per request."
        " Defaults to CONVERSATIONS_LOG_LEVEL, else info.",
    },
    "log_format": {
        "choices": ["text", "json"],
        "help": "Every line as readable text, or as one JSON object. Defaults to"
        " CONVERSATIONS_LOG_FORMAT, else text.",
    },
    "access_log": {
        "action": argparse.BooleanOptionalAction,
        # Unset unless given, so that CONVERSATIONS_ACCESS_LOG applies.
        "default": argparse.SUPPRESS,
        "help": "Writes one access line per request at level info; --no-access-log writes none"
        " and keeps every other line, for a server whose requests a proxy in front already"
        " logs. Defaults to CONVERSATIONS_ACCESS_LOG, else on.",
    },
    "trusted_proxies": {
        "metavar": "ADDRESSES",
        "help": "Comma-separated addresses or networks (or *) of the proxies in front of the"
        " server, whose X-Forwarded-For names the client in the access log; from any other peer"
        " it is ignored. Defaults to CONVERSATIONS_TRUSTED_PROXIES, else none.",
    },
    "metrics": {
        "action": argparse.BooleanOptionalAction,
        # Unset unless given, so that CONVERSATIONS_METRICS applies.
        "default": argparse.SUPPRESS,
        "help": "Counts requests and serves them at /metrics (Prometheus); --no-metrics does"
        " neither, for a server nobody scrapes. Defaults to CONVERSATIONS_METRICS, else on.",
    },
    "metrics_port": {
        "type": int,
        "metavar": "PORT",
        "help": "Serves /metrics (Prometheus) on a listener of its own at this port (1 to 65535),"
        " on the same host, and no longer on the API's port. Defaults to"
        " CONVERSATIONS_METRICS_PORT, else unset.",
    },
}
"""The options of `serve` for operating it: logs, proxies, metrics (argparse keywords)."""


def _name(value: str) -> str:
    try:
        return keys.parse_name(value).text
    except keys.InvalidName as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _shown(name: str) -> str:
    """A stored name as `keys list` prints it, with repr's escapes (of control characters and
    backslashes) but not its quotes: no name, not even one stored before names were checked,
    forges a line or drives the terminal."""
    return repr(name)[1:-1]


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serves Letta's Conversations API from openapi.yaml, and administers it.",
    )
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url",
        metavar="URL",
        help="Where the data is kept: sqlite:///PATH or postgresql://USER:PASSWORD@HOST/DB."
        " Defaults to CONVERSATIONS_DATABASE_URL, else sqlite:///var/conversations.db.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, summary: str, parents: list[argparse.ArgumentParser]) -> Any:
        return commands.add_parser(name, parents=parents, help=summary, description=summary)

    command(
        "migrate",
        "Brings the database schema to this release's revision; does nothing if it is there.",
        [database],
    )
    serve = command(
        "serve",
        "Serves the API over HTTP until stopped. The schema must be current (run migrate first).",
        [database],
    )
    serve.add_argument(
        "--host", help="The address to listen on. Defaults to CONVERSATIONS_HOST, else 127.0.0.1."
    )
    serve.add_argument(
        "--port",
        type=int,
        help="The port to listen on, from 0 (any free one) to 65535. Defaults to"
        " CONVERSATIONS_PORT, else 8283.",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="How many server processes share the port, from 1 to 256. Defaults to"
        " CONVERSATIONS_WORKERS, else 1; above 1, --port must not be 0.",
    )

    for name, (kind, text) in SERVE_LIMITS.items():
        metavar = "RATE" if name == "key_rate" else "N"
        serve.add_argument(f"--{name.replace('_', '-')}", type=kind, metavar=metavar, help=text)
    for name, options in SERVE_OPERATIONS.items():
        serve.add_argument(f"--{name.replace('_', '-')}", **options)

    keys_parser = command("keys", "Mints, lists and revokes API keys.", [])
    key_commands = keys_parser.add_subparsers(dest="key_command", required=True, metavar="ACTION")

    def key_command(name: str, summary: str) -> Any:
        return key_commands.add_parser(name, parents=[database], help=summary, description=summary)

    create = key_command(
        "create", "Mints a key for a user of an organization and prints the key, and only it."
    )
    create.add_argument(
        "--organization",
        required=True,
        type=_name,
        help=f"The organization's name: 1 to {keys.NAME_MAX_LENGTH} characters once trimmed, no"
        " control or format characters. Reused if it exists, whatever its case.",
    )
    create.add_argument(
        "--user",
        required=True,
        type=_name,
        help="The user's name in it, by the same rules. Reused if it exists, whatever its case.",
    )
    _limit_options(create, "The key's own")
    key_command(
        "list",
        "Prints one line per key: its id, organization/user, when it was created, and whether"
        " it is active or revoked. Never the key itself.",
    )
    revoke = key_command(
        "revoke", "Revokes a key at once, on every server. Exits with 1 for an unknown key."
    )
    revoke.add_argument("key_id", metavar="KEY_ID", help="The key's id, as `keys list` shows it.")
    moving.add_commands(commands, database)
    limit = key_command(
        "limit",
        "Sets a key's own rate limit (--rate with --burst), or gives it the server's default"
        " again (--clear). Each server applies it within a tenth of a second of the key's"
        " requests. Exits with 1 for an unknown key.",
    )
    limit.add_argument("key_id", metavar="KEY_ID", help="The key's id, as `keys list` shows it.")
    _limit_options(limit, "The key's new")
    limit.add_argument(
        "--clear",
        action="store_true",
        help="Gives the key the server's default limit (--key-rate and --key-burst) again.",
    )
    return parser


def _limit_options(parser: argparse.ArgumentParser, whose: str) -> None:
    parser.add_argument(
        "--rate",
        metavar="RATE",
        help=f"{whose} sustained rate of requests: N/s or N/min, above 0 and at most 100000/s."
        " Goes with --burst. Without either, the server's default applies.",
    )
    parser.add_argument(
        "--burst",
        type=int,
        metavar="N",
        help=f"{whose} burst: how many requests it may send at once, from 1 to 1000000. Goes"
        " with --rate.",
    )


class Refused(Exception):
    """An operator's request that cannot be done as given; its message is the one line said."""


def _limit_given(args: argparse.Namespace) -> KeyLimit | None:
    """The limit --rate and --burst give together, or None for neither. Raises Refused."""
    if args.rate is None and args.burst is None:
        return None
    if args.rate is None or args.burst is None:
        raise Refused("--rate and --burst go together: give both, or neither")
    try:
        return rate_limits.limit(rate_limits.parse_rate(args.rate), args.burst)
    except rate_limits.InvalidLimit as error:
        raise Refused(f"--rate/--burst: {error}") from None


def _limit_shown(limit: KeyLimit | None) -> str:
    if limit is None:
        return "the server's default limit"
    return f"limit {rate_limits.shown(limit.rate_per_s)}, {limit.burst} at once"


def _settings(args: argparse.Namespace, *names: str) -> Settings:
    given: dict[str, Any] = {
        name: getattr(args, name) for name in names if getattr(args, name, None) is not None
    }
    return Settings(**given)


async def _bootstrap_key(store: KeyStore, settings: Settings, prog: str) -> None:
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
        f"Mint more with: {prog} keys create --organization NAME --user NAME\n",
        flush=True,
    )


async def _with_store(database_url: str, work: Callable[[Store], Awaitable[int]]) -> int:
    store = store_for(database_url)
    await store.open()
    try:
        return await work(store)
    finally:
        await store.close()


def _serve(args: argparse.Namespace, prog: str) -> int:
    settings = _settings(
        args, "host", "port", "database_url", "workers", *SERVE_LIMITS, *SERVE_OPERATIONS
    )
    if settings.workers > 1 and settings.port == 0:
        print("--workers above 1 needs a fixed --port: each worker binds it", file=sys.stderr)
        return 2
    # Before the first-start key: a key printed by a server that then cannot start is lost.
    # The metrics' port first, so that an API port of 0 (any free port) cannot be given it.
    metrics_socket = None
    try:
        if settings.metrics_port is not None:
            metrics_socket = serving.claim_port(settings.host, settings.metrics_port, "metrics")
        listener = serving.claim_port(settings.host, settings.port)
    except serving.PortUnavailable as error:
        if metrics_socket is not None:
            metrics_socket.close()
        print(error, file=sys.stderr)
        return 1

    # The app loaded too, before the key: a start that cannot serve mints nothing.
    from server_impl.api.app import create_app, served_app

    try:
        if settings.workers > 1:
            # Each worker loads its own; this one only shows that they can, and is dropped.
            create_app(settings.model_copy(update={"metrics": False}))
        else:
            app, metrics = served_app(settings)
    except OSError as error:  # the spec missing or unreadable: an installation to repair
        listener.close()
        if metrics_socket is not None:
            metrics_socket.close()
        print(f"{prog}: cannot load the app: {error}", file=sys.stderr)
        return 2

    async def bootstrap(store: Store) -> int:
        await _bootstrap_key(store, settings, prog)
        return 0

    asyncio.run(_with_store(settings.database_url, bootstrap))
    settings_module.export(settings)
    logs.configure(settings.log_format, settings.log_level, access_log=settings.access_log)
    if settings.workers > 1:
        listener.close()
        try:
            workers.serve(settings, metrics_socket)
        except serving.PortUnavailable as error:
            print(error, file=sys.stderr)
            return 1
        return 0
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        **serving.uvicorn_options(settings),
    )
    port = listener.getsockname()[1]
    # uvicorn announces the address only of sockets it binds itself.
    LOG.info("Serving on http://%s:%d", settings.host, port)
    registry = metrics.registry if metrics else None
    if metrics_socket is None or registry is None:
        uvicorn.Server(config).run(sockets=[listener])
        return 0
    metrics_listener = MetricsListener(settings, registry, metrics_socket)
    metrics_listener.start()
    try:
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        metrics_listener.stop()
    return 0


async def _keys(args: argparse.Namespace, store: Store) -> int:
    if args.key_command == "create":
        minted = await keys.mint(
            store, organization=args.organization, user=args.user, limit=_limit_given(args)
        )
        print(minted.key)
        return 0
    if args.key_command == "list":
        for key in await store.list_keys():
            revoked = f"revoked {key.revoked_at.isoformat()}" if key.revoked_at else "active"
            own = f"  {_limit_shown(key.limit)}" if key.limit else ""
            print(
                f"{key.key_id}  {_shown(key.organization_name)}/{_shown(key.user_name)}"
                f"  created {key.created_at.isoformat()}  {revoked}{own}"
            )
        return 0
    if args.key_command == "limit":
        new = _limit_given(args)
        if (new is None) != args.clear:
            raise Refused("give either --rate with --burst, or --clear")
        if not await keys.set_limit(store, args.key_id, new):
            print(f"no key {args.key_id!r}", file=sys.stderr)
            return 1
        print(f"{args.key_id}: {_limit_shown(new)}")
        return 0
    outcome = await keys.revoke(store, args.key_id)
    if outcome is None:
        print(f"no key {args.key_id!r}", file=sys.stderr)
        return 1
    print(f"revoked {args.key_id}" if outcome else f"{args.key_id} was already revoked")
    return 0


def main(argv: list[str] | None = None, *, prog: str = PROG) -> int:
    args = _parser(prog).parse_args(argv)
    try:
        return _run(args, prog)
    except (
        ValidationError,
        UnsupportedDatabaseUrl,
        migrate.SchemaOutOfDate,
        migrate.DatabaseUnusable,
        Refused,
    ) as error:
        # The operator's to fix, so one line saying what, rather than a traceback.
        print(f"{prog}: {_one_line(error)}", file=sys.stderr)
        return 2


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        name = "_".join(str(part) for part in first["loc"])
        # A validator's own words, without pydantic's "Value error, " before them.
        reason = first["ctx"]["error"] if first["type"] == "value_error" else first["msg"]
        if not name:  # a rule across settings, whose message names them
            return str(reason)
        return f"--{name.replace('_', '-')} (or CONVERSATIONS_{name.upper()}): {reason}"
    return str(error)


def _run(args: argparse.Namespace, prog: str) -> int:
    database_url = _settings(args, "database_url").database_url
    if args.command == "migrate":
        print(f"The database schema is at revision {migrate.upgrade(database_url)}.")
        return 0
    if args.command in moving.COMMANDS:
        return moving.run(args, database_url, prog)
    migrate.require_current(database_url, command_name=prog)
    migrate.require_usable(database_url)
    if args.command == "serve":
        return _serve(args, prog)
    return asyncio.run(_with_store(database_url, lambda store: _keys(args, store)))
